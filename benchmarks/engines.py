"""Dask or Ray for scale-out: the cost each adds to the same work on this machine, measured in one run.

For each engine: seconds to start a local cluster (one worker per core), the round trip of 200 empty tasks, and
the grouping's neighbour search on 50k synthetic articles (vectors sent to every worker once), next to the same
search in this process. Ray is optional (`pip install ray`); it is skipped when absent.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import synthetic_corpus  # noqa: E402
from perspectives.stories.neighbours import day_numbers, neighbour_graph  # noqa: E402


def _nothing(item, **shared):
    return item


def _ray_mapper():
    import ray

    ray.init(num_cpus=None, include_dashboard=False, log_to_driver=False)
    # Ray resolves object references only when they are top-level arguments: pass names and values apart.
    remote = ray.remote(lambda fn, item, names, *values: fn(item, **dict(zip(names, values))))

    def mapper(fn, items, **shared):
        refs = [ray.put(v) for v in shared.values()]  # once, like Dask's broadcast scatter
        return ray.get([remote.remote(fn, item, list(shared), *refs) for item in items])

    return mapper, ray.shutdown


def _dask_mapper():
    from perspectives.distributed import DaskMapper

    mapper = DaskMapper("local", progress=False)
    return mapper, mapper.close


def measure(n: int = 50_000) -> pd.DataFrame:
    vectors, published_at, _ = synthetic_corpus(n)
    days = day_numbers(published_at, n)
    start = time.perf_counter()
    neighbour_graph(vectors, days, 3.0, 15)
    here = time.perf_counter() - start
    rows = [{"engine": "none (this process)", "start s": 0.0, "200 empty tasks s": 0.0, "neighbour search s": here}]
    engines = {"dask": _dask_mapper}
    if importlib.util.find_spec("ray"):
        engines["ray"] = _ray_mapper
    else:
        print("ray is not installed: measuring Dask only")
    for name, make in engines.items():
        start = time.perf_counter()
        mapper, close = make()
        started = time.perf_counter() - start
        start = time.perf_counter()
        mapper(_nothing, list(range(200)))
        empty = time.perf_counter() - start
        start = time.perf_counter()
        neighbour_graph(vectors, days, 3.0, 15, mapper=mapper)
        search = time.perf_counter() - start
        close()
        rows.append({"engine": name, "start s": started, "200 empty tasks s": empty, "neighbour search s": search})
    table = pd.DataFrame(rows)
    table["search / this process"] = table["neighbour search s"] / here
    return table


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    print(measure().to_string(index=False))
