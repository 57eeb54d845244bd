"""No process is left behind: the forked framing workers die with the process that forked them, however it dies."""

import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from tests.conftest import DEMO, ROOT

KILLS = [signal.SIGKILL, signal.SIGTERM]

# Run in a subprocess that the test kills: fork_map over tasks that never end; each worker prints its pid.
ENDLESS_FORK_MAP = """
import os, time
from perspectives.distributed import fork_map

def task(i):
    print(os.getpid(), flush=True)
    time.sleep(600)

fork_map(task, 4, n_jobs=2)
"""


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE  # dead, waiting to be reaped by init
    except psutil.NoSuchProcess:
        return True


def assert_all_die(pids: list[int], timeout: float = 20) -> None:
    deadline = time.time() + timeout
    try:
        while not all(map(gone, pids)):
            assert time.time() < deadline, f"workers still running: {[p for p in pids if not gone(p)]}"
            time.sleep(0.1)
    finally:
        for pid in pids:  # a failed test must not leave them behind either
            if not gone(pid):
                psutil.Process(pid).kill()


def same_command(child: psutil.Process, parent: psutil.Process) -> bool:
    try:
        return child.cmdline() == parent.cmdline()
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("kill", KILLS, ids=lambda s: s.name)
def test_fork_map_workers_die_with_their_parent(kill):
    parent = subprocess.Popen([sys.executable, "-c", ENDLESS_FORK_MAP], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    workers = [int(parent.stdout.readline()) for _ in range(2)]
    assert all(psutil.Process(pid).ppid() == parent.pid for pid in workers)
    parent.send_signal(kill)
    assert parent.wait(timeout=30) == -kill
    assert_all_die(workers)


@pytest.mark.slow
@pytest.mark.parametrize("kill", KILLS, ids=lambda s: s.name)
def test_killing_a_run_during_framing_leaves_no_worker_behind(demo_run, tmp_path, kill):
    db = tmp_path / "demo.db"
    with sqlite3.connect(demo_run["db"]) as source, sqlite3.connect(db) as copy:
        source.backup(copy)
        copy.execute("DELETE FROM framing_cache")  # so the report analyses the stories again, in forked workers
    run = subprocess.Popen([sys.executable, "-m", "perspectives.cli", "run", str(DEMO), "--db", str(db), "--out",
                            str(tmp_path / "out")], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process = psutil.Process(run.pid)
    try:
        workers = []
        while not workers:  # forked workers run the parent's command line
            assert run.poll() is None, "the run ended before its framing workers were seen"
            workers = [c.pid for c in process.children() if same_command(c, process)]
            time.sleep(0.01)
        run.send_signal(kill)
        assert run.wait(timeout=30) == -kill
    finally:
        run.kill()
        run.wait()
    assert_all_die(workers)
