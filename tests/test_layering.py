"""Stages import downward only (ARCHITECTURE.md, "Rules the code keeps"), read from the source with `ast`."""

import ast
from pathlib import Path

from tests.conftest import ROOT

# Each module's stage, by the longest dotted prefix that names it; a module may import its own stage and the ones
# before it. Stage-free helpers (0) import none of the stages.
STAGES = {
    "perspectives.text": 0, "perspectives.metrics": 0, "perspectives.version": 0, "perspectives.distributed": 0,
    "perspectives.ingest.schema": 0, "perspectives.ingest.markup": 0,
    "perspectives.ingest": 1,
    "perspectives.store": 2,
    "perspectives.embed": 3,
    "perspectives.stories": 4,
    "perspectives.framing": 5,
    "perspectives": 6,  # the outputs and the glue: report, desk, app, pipeline, cli, the package itself
}


def stage(module: str) -> int:
    prefixes = [p for p in STAGES if module == p or module.startswith(p + ".")]
    return STAGES[max(prefixes, key=len)]


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """The perspectives modules a module imports anywhere (in functions too), relative imports resolved."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + is_package]
                names.add(".".join([*base, node.module] if node.module else base))
            else:
                names.add(node.module or "")
    return {n for n in names if n == "perspectives" or n.startswith("perspectives.")}


def upstream_imports(root: Path) -> list[str]:
    """`importer -> imported` for every import of a later stage under root/perspectives."""
    found = []
    for path in sorted((root / "perspectives").rglob("*.py")):
        module = module_name(path, root)
        for name in imported(ast.parse(path.read_text(encoding="utf-8")), module, path.name == "__init__.py"):
            if stage(name) > stage(module):
                found.append(f"{module} -> {name}")
    return sorted(found)


def test_no_stage_imports_a_later_one():
    assert upstream_imports(ROOT) == []


def test_an_upstream_import_is_found_absolute_relative_or_inside_a_function(tmp_path):
    package = tmp_path / "perspectives"
    (package / "ingest").mkdir(parents=True)
    (package / "ingest" / "__init__.py").write_text("from . import feeds\n")
    (package / "ingest" / "feeds.py").write_text("from perspectives.store import Store\n"
                                                 "def poll():\n    from ..framing import claims\n")
    (package / "store.py").write_text("from perspectives.ingest.schema import COLUMNS\nimport perspectives.text\n")
    assert upstream_imports(tmp_path) == ["perspectives.ingest.feeds -> perspectives.framing",
                                          "perspectives.ingest.feeds -> perspectives.store"]
