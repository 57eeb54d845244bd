"""The same files into fresh stores give byte-identical reports, whatever the hash seed, the thread count or the
Dask cluster."""

import os
import subprocess
import sys

import pytest

from tests.conftest import DEMO, ROOT

pytestmark = pytest.mark.slow

THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
SETTINGS = {
    "hashseed 0, 1 thread": ({"PYTHONHASHSEED": "0"} | dict.fromkeys(THREADS, "1"), []),
    "hashseed 123, 2 threads": ({"PYTHONHASHSEED": "123"} | dict.fromkeys(THREADS, "2"), []),
    "hashseed 7, local Dask cluster": ({"PYTHONHASHSEED": "7"}, ["--cluster", "local"]),
}


def fresh_run(folder, environment: dict, options: list) -> dict[str, bytes]:
    env = {k: v for k, v in os.environ.items() if k not in THREADS} | environment
    subprocess.run([sys.executable, "-m", "perspectives.cli", "run", str(DEMO), "--db", str(folder / "demo.db"),
                    "--out", str(folder / "out"), *options], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=900)
    return {name: (folder / "out" / name).read_bytes() for name in ("stories.csv", "articles.csv")}


@pytest.mark.parametrize("setting", SETTINGS)
def test_fresh_stores_give_byte_identical_reports(demo_run, tmp_path, setting):
    """Against the session's demo run (random hash seed, default threads)."""
    expected = {name: (demo_run["out"] / name).read_bytes() for name in ("stories.csv", "articles.csv")}
    assert fresh_run(tmp_path, *SETTINGS[setting]) == expected
