"""Scale-out: run the pipeline's heavy steps on a Dask cluster (a local one here, a real one by address).

The pipeline hands independent work to a *mapper*: `mapper(fn, items, **shared)` returns `[fn(item, **shared) for
item in items]`, in order. In-process that is a plain loop; on Dask the shared arguments (e.g. the corpus vectors)
are sent to every worker once and the items run in parallel. Because each item is computed by the same function on
the same inputs, a cluster run gives exactly the single-process result.

What runs on workers: embedding in batches (each worker loads the model once) and the per-day neighbour search of
the grouping. The density step, story ids and the store stay on the client: they are cheap and need the whole
picture.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Protocol, Sequence

import numpy as np
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
