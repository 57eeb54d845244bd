"""Grouping cost at 10k, 100k and 1M synthetic articles (precomputed vectors, 1,000 articles a day), in one process
and on a local Dask cluster, what an incremental run costs next to regrouping everything, and what step 5's join
across time costs on a month and a year of stories.

Each size runs in a fresh process so that its peak memory (peak RSS of the client process, vectors included) is its
own; the Dask workers' memory is reported apart (the largest worker's peak).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import synthetic_corpus  # noqa: E402
from perspectives.metrics import bcubed, grouping_report  # noqa: E402
from perspectives.stories import StoryClusterer  # noqa: E402
from perspectives.stories.clusterer import FOLLOW_UP_DAYS, MERGE_SHARE  # noqa: E402
from perspectives.stories.incremental import regroup_scope  # noqa: E402
from perspectives.stories.neighbours import day_numbers, pair_cosines, unit_rows  # noqa: E402
from perspectives.stories.refine import join_follow_ups  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)


def scale_point(n: int, on_dask: bool = False) -> dict:
    """Group n synthetic articles; seconds, peak memory and agreement with the generated events."""
    vectors, published_at, events = synthetic_corpus(n)
    mapper = None
    if on_dask:
        from perspectives.distributed import DaskMapper

        mapper = DaskMapper("local", progress=False)
    start = time.perf_counter()
    labels = StoryClusterer().fit(vectors, published_at=published_at, mapper=mapper).labels_
    seconds = time.perf_counter() - start
    row = {"articles": n, "engine": f"dask local ({mapper.workers} workers)" if mapper else "one process",
           "days": int(np.ptp(day_numbers(published_at, n))) + 1, "seconds": seconds, "articles/s": n / seconds,
           "peak memory GiB": _peak_gib()}
    if mapper:
        row["worker peak GiB"] = max(mapper.client.run(_peak_gib).values())
        mapper.close()
    row["BCubed F1 vs generated events"] = bcubed(labels, events)[2]  # AMI & co. would take longer than the grouping
    return row


def _peak_gib() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: a process started from a large one (`make bench`
    after its other tables) inherits the parent's maximum there."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 2**20


def scaling_table(sizes=SIZES, engines=("one process", "dask")) -> pd.DataFrame:
    rows = []
    for n in sizes:
        for engine in engines:
            command = [sys.executable, __file__, "--point", str(n)] + (["--dask"] if engine == "dask" else [])
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return pd.DataFrame(rows)


def incremental_table(n: int = 100_000) -> pd.DataFrame:
    """Add the last day to a grouping of the days before it: regroup only its scope, or everything."""
    vectors, published_at, _ = synthetic_corpus(n)
    days = day_numbers(published_at, n)
    new = days >= np.floor(days.max())
    clusterer = StoryClusterer()
    ids = pd.Series([f"a{i}" for i in range(n)])
    stored = pd.DataFrame({"id": ids, "published_at": published_at.dt.strftime("%Y-%m-%dT%H:%M:%SZ")})
    before = clusterer.fit(vectors[~new], published_at=published_at[~new]).labels_
    previous = pd.DataFrame({"article_id": ids[~new], "story_id": before})

    start = time.perf_counter()
    full = clusterer.fit(vectors, published_at=published_at).labels_
    full_seconds = time.perf_counter() - start

    start = time.perf_counter()
    scope = regroup_scope(stored, new, previous, clusterer.time_window_days)
    regrouped = clusterer.fit(vectors[scope], published_at=published_at[scope]).labels_
    incremental_seconds = time.perf_counter() - start

    combined = pd.Series(-1, index=ids.index, dtype=np.int64)
    combined[~new] = before
    combined[scope] = regrouped + before.max() + 1
    agreement = grouping_report(combined, pd.Series(full))
    return pd.DataFrame([{
        "articles": n, "new (last day)": int(new.sum()), "regrouped": int(scope.sum()),
        "full regroup s": full_seconds, "incremental s": incremental_seconds,
        "incremental / full": incremental_seconds / full_seconds,
        "ARI incremental vs full": agreement["ari"],
    }])


def follow_up_table(day_counts=(36, 365), per_day: int = 500) -> pd.DataFrame:
    """The cost of step 5's join across time (`refine.join_follow_ups`, which the vectors-only points above skip: it
    reads the text evidence) on a month and a year of stories (`follow_up_point`)."""
    return pd.DataFrame([follow_up_point(days, per_day) for days in day_counts])


def follow_up_point(days_n: int, per_day: int, seed: int = 0) -> dict:
    """`per_day` articles a day for `days_n` days in stories of five, a tenth of them followed ten days on by a
    development at their centre (a story of its own to join), the pairs' evidence their cosine: seconds to join."""
    rng = np.random.default_rng(seed)
    stories = days_n * per_day // 5
    centres = unit_rows(rng.normal(size=(stories, 384)))
    first_day = rng.uniform(0, days_n, stories)
    followed = np.flatnonzero(rng.random(stories) < 0.1)
    centres, first_day = np.vstack([centres, centres[followed]]), np.r_[first_day, first_day[followed] + 10]
    labels = np.repeat(np.arange(len(centres)), 5)
    noise = unit_rows(rng.normal(size=(len(labels), 384)))
    vectors = unit_rows(np.sqrt(0.3) * centres[labels] + np.sqrt(0.7) * noise)
    days = first_day[labels] + rng.uniform(0, 1, len(labels))
    start = time.perf_counter()
    joined = join_follow_ups(vectors, labels, days, window=3.0, reach=FOLLOW_UP_DAYS, share=MERGE_SHARE,
                             figures=csr_matrix((len(labels), 1)), pair_similarity=partial(pair_cosines, vectors),
                             eligible=np.ones(len(labels), dtype=bool), languages=np.zeros(len(labels)))
    return {"days": days_n, "articles": len(labels), "stories": len(centres), "developments": len(followed),
            "joined": len(centres) - len(np.unique(joined)), "seconds": time.perf_counter() - start}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--point"]:
        print(json.dumps(scale_point(int(sys.argv[2]), on_dask="--dask" in sys.argv)))
    else:
        pd.set_option("display.width", 160)
        print(scaling_table().to_string(index=False))
        print(incremental_table().to_string(index=False))
        print(follow_up_table().to_string(index=False))
