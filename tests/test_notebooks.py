"""Every notebook runs top to bottom on the demo corpus."""

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# A line each notebook prints once its analysis has run.
EXPECTED = {"01_explore_stories.ipynb": ("stories from titles alone; BCubed F1", "across languages",
                                       "kinds whose two events stay apart"),
            "02_compare_outlets.ipynb": (" outlets, ",)}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = " ".join(str(o.get("text", "")) for o in outputs)
    assert all(expected in text for expected in EXPECTED[path.name])
