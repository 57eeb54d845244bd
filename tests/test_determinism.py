"""The same files into a fresh store give byte-identical reports, whatever the hash seed or the thread count (on a
Dask cluster: `tests/test_distributed.py`)."""

import os
import subprocess
import sys

import pytest

from tests.conftest import DEMO, ROOT

pytestmark = pytest.mark.slow

THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def test_another_hash_seed_and_one_thread_give_byte_identical_reports(demo_run, tmp_path):
    """Against the session's demo run (a random hash seed, a thread per core)."""
    env = {k: v for k, v in os.environ.items() if k not in THREADS} | {"PYTHONHASHSEED": "0"}
    env |= dict.fromkeys(THREADS, "1")
    subprocess.run([sys.executable, "-m", "perspectives.cli", "run", str(DEMO), "--db", str(tmp_path / "demo.db"),
                    "--out", str(tmp_path / "out")], cwd=ROOT, env=env, check=True, capture_output=True, timeout=900)
    for name in ("stories.csv", "articles.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (demo_run["out"] / name).read_bytes(), name
