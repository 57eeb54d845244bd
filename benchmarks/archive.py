"""Archive scale: what adding one day costs as the store grows.

An archive is the demo corpus replicated K times one week apart (ids and urls made unique per copy; the texts are
the demo's, so every article and sentence vector comes from the store's cache and no model time is measured). Each
archive is grouped and reported once, as a store in daily use has been. Then `perspectives run DAY` adds one more
copy of the demo's busiest day, a week after the archive's last, in a process of its own: its wall time and peak
memory (the largest process's maximum resident set, `getrusage(RUSAGE_CHILDREN)` of a wrapper that runs nothing
else), beside the same day run into an empty store that holds only the cached vectors; and the store's size on disk.

    python benchmarks/archive.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perspectives import pipeline  # noqa: E402
from perspectives.store import Store  # noqa: E402

DEMO = ROOT / "data" / "demo" / "articles.jsonl"
WORKDIR = ROOT / "benchmarks" / "results" / "archive"
WEEK = pd.Timedelta(days=7)

# Runs `perspectives run` and prints its wall time and peak memory: a fresh wrapper per run, so that the children's
# maximum resident set is that run's alone.
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
sys.stderr.write(done.stderr[-2000:] if done.returncode else "")
print(done.stdout)
print("MEASURED", done.returncode, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def demo() -> pd.DataFrame:
    return pd.read_json(DEMO, lines=True, dtype=False)


def replica(articles: pd.DataFrame, k: int, undated: float = 0.0) -> pd.DataFrame:
    """Copy `k` of the articles: `k` weeks later, with its own ids and urls, and an `undated` share (drawn with
    seed `k`) without a date."""
    copy = articles.copy()
    copy["id"] = f"r{k}-" + copy["id"]
    copy["url"] = copy["url"].map(lambda url: f"{url}?copy={k}" if isinstance(url, str) else url)
    stamps = pd.to_datetime(copy["published_at"], utc=True) + k * WEEK
    copy["published_at"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    copy.loc[np.random.default_rng(k).random(len(copy)) < undated, "published_at"] = None
    return copy


def write_jsonl(frame: pd.DataFrame, path: Path) -> Path:
    path.write_text(frame.to_json(orient="records", lines=True, force_ascii=False), encoding="utf-8")
    return path


def seed_store(workdir: Path) -> Path:
    """A store of the demo corpus, run once: every article and sentence vector the copies need is cached in it."""
    seed = workdir / "seed.db"
    if not seed.exists():
        pipeline.run(DEMO, db=seed, out=workdir / "seed-out", progress=False)
    return seed


def with_vectors(path: Path, seed: Path) -> None:
    """A new store at `path` holding only the seed's cached vectors."""
    path.unlink(missing_ok=True)
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("ATTACH DATABASE ? AS seed", (str(seed),))
    with conn:
        conn.execute("INSERT INTO embeddings SELECT * FROM seed.embeddings")
    conn.close()


def build_archive(n_articles: int, workdir: Path, seed: Path, undated: float = 0.0) -> tuple[Path, int, dict]:
    """An archive of about `n_articles` (whole copies of the demo, an `undated` share of each without a date),
    grouped and reported once; returns its path, the number of copies and how long building it took."""
    base = demo()
    copies = math.ceil(n_articles / len(base))
    path = workdir / (f"archive-{copies}.db" if not undated else f"archive-{copies}-undated-{undated}.db")
    times = {}
    if not path.exists():
        building = path.with_suffix(".building")
        with_vectors(building, seed)
        start = time.perf_counter()
        with Store(building) as store:
            for k in range(copies):
                store.upsert_articles(_frame(replica(base, k, undated)))
        times["ingest_s"] = time.perf_counter() - start
        start = time.perf_counter()
        pipeline.cluster(db=building, progress=False)
        times["cluster_s"] = time.perf_counter() - start
        start = time.perf_counter()
        pipeline.report(db=building, out=workdir / "archive-out", progress=False)
        times["report_s"] = time.perf_counter() - start
        building.rename(path)
    return path, copies, times


def _frame(articles: pd.DataFrame) -> pd.DataFrame:
    from perspectives.ingest.files import articles_frame

    return articles_frame(articles.to_dict("records"))


def new_day(copies: int, workdir: Path, undated: float = 0.0) -> Path:
    """The demo's busiest day as copy number `copies` (the week after the archive's last copy), an `undated` share
    without a date."""
    base = demo()
    day = base["published_at"].str[:10]
    busiest = base[day == day.value_counts().idxmax()]
    return write_jsonl(replica(busiest, copies, undated), workdir / f"day-{copies}-undated-{undated}.jsonl")


def measure_run(day: Path, db: Path, out: Path) -> dict:
    """`perspectives run DAY --db DB` in a process of its own: wall seconds, peak MB and what it did."""
    command = [sys.executable, "-m", "perspectives.cli", "run", str(day), "--db", str(db), "--out", str(out)]
    result = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, cwd=ROOT)
    found = re.search(r"MEASURED (\d+) ([\d.]+) (\d+)", result.stdout)
    if found is None or found.group(1) != "0":
        raise RuntimeError(f"run failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    regrouped = re.search(r"regrouped (\w+)", result.stdout)
    return {"wall_s": round(float(found.group(2)), 1), "peak_mb": round(int(found.group(3)) / 1024),
            "regrouped": regrouped.group(1) if regrouped else "-"}


def copy_store(source: Path, target: Path) -> Path:
    target.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def framing_counts(db: Path) -> str:
    with Store(db) as store:
        summary = json.loads(store.conn.execute(
            "SELECT summary FROM runs WHERE kind = 'cluster' ORDER BY run_id DESC LIMIT 1").fetchone()[0])
        framed = store.count("story_framing")
    return f"{summary['stories']} stories, {framed} framed"


def archive_table(sizes: list[int], workdir: Path = WORKDIR, undated: float = 0.0) -> pd.DataFrame:
    workdir.mkdir(parents=True, exist_ok=True)
    seed = seed_store(workdir)
    rows = []
    for n in [0, *sizes]:
        if n:
            archive, copies, built = build_archive(n, workdir, seed, undated)
        else:
            archive, copies, built = workdir / "empty.db", 0, {}
            with_vectors(archive, seed)
        day = new_day(max(copies, 1), workdir, undated)
        with Store(archive) as store:
            articles, size = store.count("articles"), store.size()
        target = copy_store(archive, workdir / "target.db")
        measured = measure_run(day, target, workdir / "day-out")
        day_articles = pd.read_json(day, lines=True, dtype=False)
        rows.append({"archive articles": articles, "day articles": len(day_articles),
                     "undated": int(day_articles["published_at"].isna().sum()),
                     **measured, "after the day": framing_counts(target), "disk MB": round(size / 1e6, 1),
                     "disk KB/article": round(size / 1e3 / articles, 1) if articles else None,
                     "built in (s)": " / ".join(f"{k[:-2]} {v:.0f}" for k, v in built.items()) or "-"})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="archive sizes in articles (rounded up to whole copies of the demo)")
    parser.add_argument("--undated", type=float, default=0.0,
                        help="the share of articles without a date, in the archive and in the new day")
    args = parser.parse_args()
    print(archive_table(args.sizes, undated=args.undated).to_string(index=False))


if __name__ == "__main__":
    main()
