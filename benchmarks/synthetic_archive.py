"""A synthetic archive written straight into a store: a year or more of articles with precomputed vectors, grouped
and analysed as a store in daily use holds them, in minutes instead of the hours that embedding and analysing them
would take.

Dates, vectors and events come from `benchmarks.synthetic.synthetic_corpus` (events of one to 50 articles, `per_day`
articles a day). Each event borrows the articles of one story of the demo corpus (their texts and outlets, in turn;
each title numbered so that every article has a document, and so a vector, of its own), so the framing reads real
text, most of whose sentence vectors the seed store already holds. The archive is grouped as `cluster --full` groups
it (the vectors from the cache) and recorded under a cluster run with the pipeline's parameters, so `perspectives
run` regroups only what new articles touch. Each multi-outlet story's framing rows are its outlets' rows in the demo
story most of its articles borrow from (story id replaced), under the key the analyser computes for it: the cache is
as an analysis would have left it, with about as many rows per outlet as a real story (their content is the demo
story's).

The newest `day` articles are left out of the store and written as DAY.jsonl, to be added with `perspectives run`;
their vectors are cached in the store (and in the near-empty store it is compared with).

    python benchmarks/synthetic_archive.py --sizes 100000 180000 500000
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import synthetic_corpus  # noqa: E402
from perspectives import pipeline  # noqa: E402
from perspectives.embed import Embedder  # noqa: E402
from perspectives.framing import FramingAnalyser  # noqa: E402
from perspectives.ingest import load_articles  # noqa: E402
from perspectives.ingest.schema import COLUMNS  # noqa: E402
from perspectives.store import Store, doc_hash, framing_json, row_hashes, text_hash  # noqa: E402
from perspectives.stories import StoryClusterer  # noqa: E402

PER_DAY = 500  # the seed product's ~150 sites
WRITE_CHUNK = 20_000


def demo_stories(seed: Path) -> list[tuple[list[dict], dict | None]]:
    """The seed store's stories as (their articles in time order, their cached framing rows or None)."""
    with Store(seed) as store:
        articles = store.articles()  # in time order: each story's articles stay in it
        members = store.members()
        framing = store.framing_rows(members["story_id"].unique())
    return [(articles[articles["id"].isin(group["article_id"])].to_dict("records"), framing.get(story_id))
            for story_id, group in members.groupby("story_id", sort=True)]


def corpus(n: int, day: int, seed: Path, per_day: int = PER_DAY):
    """`n + day` articles in time order (the demo's texts, synthetic dates), their vectors, their event ids and the
    demo stories' framing rows (event e borrows story e modulo their number)."""
    vectors, published_at, events = synthetic_corpus(n + day, per_day=per_day)
    order = np.argsort(published_at.to_numpy(), kind="stable")
    vectors, published_at, events = vectors[order], published_at.iloc[order].reset_index(drop=True), events[order]
    stories = demo_stories(seed)
    borrowed = events % len(stories)
    position = pd.Series(events).groupby(events).cumcount().to_numpy()  # each article's place in its event
    rows = []
    for i, (story, k, stamp) in enumerate(zip(borrowed, position, published_at.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))):
        source = stories[story][0][k % len(stories[story][0])]
        rows.append({c: source.get(c) for c in COLUMNS} | {
            "id": f"syn{i:07d}", "title": f"{source['title']} [{i}]", "published_at": stamp,
            "url": f"https://synthetic.example/{i}", "title_en": source.get("title_en") and
            f"{source['title_en']} [{i}]"})
    return rows, vectors, events, [template for _, template in stories]


def write_articles(store: Store, rows: list[dict], docs: list[str], vectors: np.ndarray, model: str) -> None:
    """The articles, with the hashes the store keeps (`docs`: their `doc_hash`), and their vectors in the embedding
    cache."""
    now = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = [*COLUMNS, "extra", "text_hash", "doc_hash", "row_hash", "ingested_at"]
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk, chunk_docs = rows[start:start + WRITE_CHUNK], docs[start:start + WRITE_CHUNK]
        hashes = row_hashes(pd.DataFrame(chunk, columns=list(COLUMNS), dtype=object))
        with store.transaction() as conn:
            conn.executemany(f"INSERT INTO articles ({', '.join(fields)}) VALUES ({', '.join('?' for _ in fields)})",
                             [(*(row[c] for c in COLUMNS), "{}", text_hash(row["text"]), doc, row_hash, now)
                              for row, doc, row_hash in zip(chunk, chunk_docs, hashes)])
            conn.executemany("INSERT OR REPLACE INTO embeddings (model, content_hash, dim, vector) VALUES (?, ?, ?, ?)",
                             [(model, doc, vector.shape[0], vector.tobytes())
                              for doc, vector in zip(chunk_docs, vectors[start:start + WRITE_CHUNK])])


def write_stories(store: Store, rows: list[dict]) -> pd.DataFrame:
    """The archive grouped as `perspectives cluster --full` groups it (vectors from the cache, the texts' evidence,
    wire copies, labels, story ids), written under a finished cluster run with the pipeline's parameters; returns the
    members."""
    embedder, clusterer = Embedder(), StoryClusterer(min_cluster_size="auto", time_window_days=3.0)
    articles = pd.DataFrame(rows, dtype=object).assign(extra=[{}] * len(rows))  # the texts stay shared, not copied
    grouping = pipeline.group_stories(articles, embedder, clusterer, store=store, progress=False)
    lineage = pipeline.keep_story_ids(grouping, store.members())
    run_id = store.start_run("cluster", {"model": embedder.name, **clusterer.get_params()})
    store.replace_stories(run_id, grouping.stories, grouping.members, {"mode": "synthetic"}, lineage)
    return grouping.members


def write_framing(store: Store, members: pd.DataFrame, events: dict[str, int], templates: list[dict | None]) -> int:
    """Each multi-outlet story's framing rows: those of its outlets in the demo story that most of its articles
    borrow from (`events`: article id -> event), under the key the analyser computes for it; returns how many
    stories have them."""
    hashes = store.article_hashes()
    keys = FramingAnalyser(Embedder(), store=store).story_keys(hashes, store.members())
    borrowed = members["article_id"].map(events) % len(templates)
    template_of = borrowed.groupby(members["story_id"]).agg(lambda found: found.mode().iloc[0])
    outlets = members["article_id"].map(hashes.set_index("id")["outlet"]).groupby(members["story_id"]).agg(set)

    def rows():
        for story_id, key in keys.items():
            template, own = templates[template_of[story_id]], outlets[story_id]
            if template is not None:
                tables = {name: [row | {"story_id": story_id} for row in found if row.get("outlet") in own]
                          for name, found in template.items()}
                yield story_id, key, zlib.compress(framing_json(tables).encode(), 6)

    with store.transaction() as conn:
        conn.executemany("INSERT INTO story_framing (story_id, key, data) VALUES (?, ?, ?)", rows())
    return store.count("story_framing")


def write_day(rows: list[dict], vectors: np.ndarray, path: Path, model: str) -> dict[str, np.ndarray]:
    """The day's articles as JSONL for `perspectives run`; returns their vectors under the hashes ingest will give
    them."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    loaded = load_articles(path).articles
    assert len(loaded) == len(rows), "the day's rows must all pass validation"
    return {doc_hash(row): vector for row, vector in zip(loaded.to_dict("records"), vectors)}


def build(n: int, db: Path, day_path: Path, seed: Path, day: int = PER_DAY, per_day: int = PER_DAY) -> dict[str, float]:
    """A synthetic archive of `n` articles at `db` (replaced) holding the seed's cached vectors, and the next `day`
    articles at `day_path`; returns how long each step took."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    rows, vectors, events, templates = corpus(n, day, seed, per_day)
    model = Embedder().name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("ATTACH DATABASE ? AS seed", (str(seed),))
        conn.execute("INSERT INTO embeddings SELECT * FROM seed.embeddings")
    times["generate_s"] = time.perf_counter() - start
    with Store(db) as store:
        start = time.perf_counter()
        docs = [doc_hash(row) for row in rows[:n]]
        write_articles(store, rows[:n], docs, vectors[:n], model)
        times["articles_s"] = time.perf_counter() - start
        start = time.perf_counter()
        members = write_stories(store, rows[:n])
        times["stories_s"] = time.perf_counter() - start
        start = time.perf_counter()
        write_framing(store, members, dict(zip((row["id"] for row in rows), events)), templates)
        times["framing_s"] = time.perf_counter() - start
        store.save_embeddings(model, write_day(rows[n:], vectors[n:], day_path, model))
    return times


def synthetic_table(sizes: list[int], workdir: Path) -> pd.DataFrame:
    """Per archive size: `perspectives run` of the next day (`PER_DAY` articles) and of its first hour (a 24th) into
    the synthetic archive, beside the same into a near-empty store (the seed's vectors and the day's only), with
    wall time, peak memory and the store's size on disk (after it was reported once)."""
    from benchmarks.archive import copy_store, framing_counts, measure_run, seed_store, with_vectors

    workdir.mkdir(parents=True, exist_ok=True)
    seed = seed_store(workdir)
    rows = []
    for n in sizes:
        db, day = workdir / f"synthetic-{n}.db", workdir / f"synthetic-{n}.day.jsonl"
        built = {}
        if not db.exists():
            building = db.with_suffix(".building")
            built = build(n, building, day, seed)
            start = time.perf_counter()
            pipeline.report(db=building, out=workdir / "synthetic-out", progress=False)
            built["report_s"] = time.perf_counter() - start
            building.rename(db)
        hour = workdir / f"synthetic-{n}.hour.jsonl"
        hour.write_text("".join(day.read_text(encoding="utf-8").splitlines(keepends=True)[:PER_DAY // 24]),
                        encoding="utf-8")
        with Store(db) as store:
            size = store.size()
        day_vectors = _day_vectors(db, day)
        for name, batch in (("day", day), ("hour", hour)):
            empty = workdir / "synthetic-empty.db"
            with_vectors(empty, seed)
            with Store(empty) as store:
                store.save_embeddings(Embedder().name, day_vectors)
            near_empty = measure_run(batch, empty, workdir / "day-out")
            measured = measure_run(batch, copy_store(db, workdir / "target.db"), workdir / "day-out")
            rows.append({"archive articles": n, "added": f"{name} ({len(batch.read_text().splitlines())})",
                         "wall_s": measured["wall_s"], "peak_mb": measured["peak_mb"],
                         "near-empty wall_s": near_empty["wall_s"], "near-empty peak_mb": near_empty["peak_mb"],
                         "regrouped": measured["regrouped"], "after": framing_counts(workdir / "target.db"),
                         "disk MB": round(size / 1e6, 1), "disk KB/article": round(size / 1e3 / n, 1),
                         "built in (s)": " / ".join(f"{k[:-2]} {v:.0f}" for k, v in built.items()) or "-"})
    return pd.DataFrame(rows)


def _day_vectors(db: Path, day: Path) -> dict[str, np.ndarray]:
    """The day's vectors, as the archive caches them."""
    with Store(db) as store:
        docs = [doc_hash(row) for row in load_articles(day).articles.to_dict("records")]
        return store.cached_embeddings(Embedder().name, docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 180_000],
                        help="archive sizes in articles")
    args = parser.parse_args()
    from benchmarks.archive import WORKDIR

    pd.set_option("display.width", 200)
    print(synthetic_table(args.sizes, WORKDIR).to_string(index=False))


if __name__ == "__main__":
    main()
