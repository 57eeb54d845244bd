"""Scale-out: run the pipeline's heavy steps on a Dask cluster (a local one here, a real one by address).

The pipeline hands independent work to a *mapper*: `mapper(fn, items, **shared)` returns `[fn(item, **shared) for
item in items]`, in order. In-process that is a plain loop; on Dask the shared arguments (e.g. the corpus vectors)
are sent to every worker once and the items run in parallel. Because each item is computed by the same function on
the same inputs, a cluster run gives exactly the single-process result.

What runs on workers: embedding in batches (each worker loads the model once) and the per-day neighbour search of
the grouping. The density step, story ids and the store stay on the client: they are cheap and need the whole
picture.

On one machine, `fork_map` spreads many small CPU-bound tasks (the per-story framing analyses) over its cores.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm


class Mapper(Protocol):
    def __call__(self, fn: Callable, items: Sequence, **shared: Any) -> list: ...


def local_map(fn: Callable, items: Sequence, **shared: Any) -> list:
    """Run every item here, one after another."""
    return [fn(item, **shared) for item in items]


class ClusterUnavailable(Exception):
    """The Dask scheduler cannot be reached or started."""


class DaskMapper:
    """A mapper on a Dask cluster. `address` is a scheduler address (tcp://host:8786) or "local" to start one
    worker process per core on this machine. Workers need `perspectives` installed (and the model, for
    embedding) just like the client."""

    def __init__(self, address: str = "local", progress: bool = True):
        from dask.distributed import Client, LocalCluster

        self.progress = progress
        self._cluster = None
        try:
            if address == "local":
                # One single-threaded process per core: numerical libraries would otherwise oversubscribe the CPU.
                self._cluster = LocalCluster(threads_per_worker=1, processes=True, dashboard_address=None)
                self.client = Client(self._cluster)
            else:
                self.client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info()["workers"])

    def __call__(self, fn: Callable, items: Sequence, **shared: Any) -> list:
        from dask.distributed import as_completed

        if not items:
            return []
        # Large arrays go to every worker once; the rest travels with each task.
        shared = {name: self.client.scatter(value, broadcast=True, hash=False) if isinstance(value, np.ndarray)
                  else value for name, value in shared.items()}
        futures = self.client.map(functools.partial(_apply, fn), list(items), shared=shared, pure=False)
        for _ in tqdm(as_completed(futures), total=len(futures), desc=f"On {self.workers} Dask workers",
                      disable=not self.progress, leave=False):
            pass
        return self.client.gather(futures)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskMapper:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _apply(fn: Callable, item, shared: dict):
    # Shared arguments travel as one dict: Client.map has keyword arguments of its own (batch_size, key, ...).
    return fn(item, **shared)


def cpu_count() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_forked: Callable[[int], Any] | None = None  # the task of the running fork_map, inherited by its workers
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _call_forked(index: int):
    assert _forked is not None, "runs only in the workers of a fork_map"
    return _forked(index)


def _start_worker(parent: int, threads: int) -> None:
    """In a forked worker: use `threads` threads in numerical libraries, and be killed when the parent dies (however
    it dies: SIGTERM, SIGKILL, a crash), so no worker is left running alone (Linux only; elsewhere the pool's own
    clean-up has to do)."""
    # Each worker would otherwise start a BLAS and an OpenMP thread per core: with a worker per core, their threads
    # contend and every story ran 2.5 times as long as in one process (the demo's framing).
    threadpool_limits(threads)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def fork_map(task: Callable[[int], Any], n: int, n_jobs: int = -1, cost: Sequence[float] | None = None,
             progress: bool = False, desc: str | None = None) -> list:
    """`[task(i) for i in range(n)]`, on `n_jobs` worker processes (-1: one per core) forked from this one.

    The workers inherit `task` and everything it reaches, so nothing large is pickled: only indices go out and results
    come back. The task must not use what does not survive a fork (open database connections, a loaded model's
    thread pools): prepare those first. Costliest items (by `cost`) start first so no worker is left with a big one
    at the end. Each worker's numerical libraries (BLAS, OpenMP) get its share of the cores. The workers die with this
    process, even when it is killed. Runs in this process when one job is asked for, n < 2, or the platform cannot fork.
    """
    global _forked
    jobs = cpu_count() if n_jobs == -1 else n_jobs
    order = sorted(range(n), key=lambda i: -cost[i]) if cost is not None else range(n)
    bar = functools.partial(tqdm, total=n, desc=desc, disable=not progress)
    if jobs <= 1 or n < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return list(bar(map(task, range(n))))
    _forked = task
    try:
        workers = min(jobs, n)
        with multiprocessing.get_context("fork").Pool(workers, _start_worker,
                                                      (os.getpid(), max(1, cpu_count() // workers))) as pool:
            results = dict(zip(order, bar(pool.imap(_call_forked, order, chunksize=max(1, n // (8 * jobs))))))
    finally:
        _forked = None
    return [results[i] for i in range(n)]
