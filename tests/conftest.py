"""Shared fixtures. The model hub is unreachable here, so the whole suite runs with the hub switched off."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo" / "articles.jsonl"
SHARED = ROOT.parent / "shared" / "datasets"
ARTIFACTS = ROOT / "tests" / "artifacts"


def cli(*args, cwd=None, check=True) -> subprocess.CompletedProcess:
    """Run the installed `perspectives` command as a user would."""
    result = subprocess.run([sys.executable, "-m", "perspectives.cli", *map(str, args)], cwd=cwd or ROOT,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"perspectives {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def embedder():
    from perspectives.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo corpus through `perspectives run`, once per session: the store, the report folder, the output."""
    base = tmp_path_factory.mktemp("demo")
    db, out = base / "demo.db", base / "out"
    result = cli("run", DEMO, "--db", db, "--out", out)
    return {"db": db, "out": out, "stdout": result.stdout}


@pytest.fixture(scope="session")
def demo_tables(demo_run):
    out = demo_run["out"]
    return {name: pd.read_csv(out / f"{name}.csv") for name in ("articles", "stories", "takes")}


@pytest.fixture(scope="session")
def aug8_story_id(demo_tables):
    articles = demo_tables["articles"]
    return articles.loc[articles["gold_story"] == "aug8-deadline", "story_id"].mode()[0]
