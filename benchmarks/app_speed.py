"""How fast the app renders: a story page with 50+ outlets, and the front page and a story page on an archive.

`main`: a store of the demo corpus plus 50 synthetic outlets writing about the demo's August 8 story (each article
is sentences drawn from the demo's own coverage of it); Streamlit's AppTest times the first run of a page (cold:
model loading, analysis) and the next runs (warm: what an editor waits for afterwards).

`archive_table`: the demo store (grouped and reported once) against archives of it replicated K times a week apart
(`replicate`: rows copied in SQL, stories and cached vectors with them, so nothing is embedded or grouped again).
On each: the front page (its default period, the store's last 48 hours) and the widest story of the newest copy,
timed at the first run in a fresh process's cache (the story page loads the model), after a write (every cached
result keyed by the store's version misses) and warm.

    python benchmarks/app_speed.py --copies 60 600
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.archive import seed_store  # noqa: E402
from perspectives import pipeline  # noqa: E402
from perspectives.desk import countries  # noqa: E402
from perspectives.ingest.schema import COLUMNS  # noqa: E402
from perspectives.store import STORY_COLUMNS, Store  # noqa: E402
from perspectives.text import english_text, sentences  # noqa: E402

DEMO = ROOT / "data" / "demo" / "articles.jsonl"
APP = str(ROOT / "streamlit_app.py")
WORKDIR = ROOT / "benchmarks" / "results" / "app_speed"


def synthetic_outlets(n: int = 50, seed: int = 0) -> list[dict]:
    demo = pd.read_json(DEMO, lines=True)
    story = demo[demo["gold_story"] == "aug8-deadline"]
    pool = [s for a in story.to_dict("records") for s in sentences(english_text(a), "en")]
    titles = story["title_en"].fillna(story["title"]).tolist()
    codes = list(countries().index)[:n]
    rng = random.Random(seed)
    return [{"id": f"syn-{i:02d}", "outlet": f"Synthetic Outlet {i:02d}", "country": codes[i],
             "language": "en", "published_at": f"2025-08-07T{6 + i % 12:02d}:{i % 60:02d}:00Z",
             "title": rng.choice(titles), "text": " ".join(rng.sample(pool, 6)), "gold_story": "aug8-deadline"}
            for i in range(n)]


def timed_runs(at: AppTest, runs: int = 3) -> list[float]:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        seconds.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return seconds


def main() -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        extra = Path(tmp) / "synthetic.jsonl"
        extra.write_text("\n".join(json.dumps(r) for r in synthetic_outlets()), encoding="utf-8")
        db = Path(tmp) / "speed.db"
        pipeline.run(DEMO, extra, db=db, out=Path(tmp) / "out", progress=False)
        stories = pd.read_csv(Path(tmp) / "out" / "stories.csv")
        widest = stories.sort_values("n_outlets", ascending=False).iloc[0]
        os.environ["PERSPECTIVES_DB"] = str(db)
        rows = []
        front = AppTest.from_file(APP, default_timeout=600)
        rows.append(("front page", timed_runs(front)))
        page = AppTest.from_file(APP, default_timeout=600)
        page.query_params["story"] = widest["story_id"]
        rows.append((f"story page, {widest['n_outlets']} outlets", timed_runs(page)))
    table = pd.DataFrame([{"view": view, "first run s": runs[0], "warm runs s (mean)": sum(runs[1:]) / len(runs[1:]),
                           "warm under 1 s": max(runs[1:]) < 1.0} for view, runs in rows])
    return table


def replicate(seed: Path, target: Path, copies: int) -> Path:
    """`copies` copies of a grouped store at `target`, copy k published k weeks after the seed with its own article
    and story ids (`r{k}-` before each); the seed's runs and cached vectors come along. The target's triggers
    index every copied article for search."""
    target.unlink(missing_ok=True)
    Store(target).close()
    shifted = "strftime('%Y-%m-%dT%H:%M:%SZ', {}, '+' || (7 * :k) || ' days')"
    article_columns = [*COLUMNS, "extra", "text_hash", "ingested_at", "doc_hash"]
    articles = [{"id": "'r' || :k || '-' || id", "url": "url || '?copy=' || :k",
                 "published_at": shifted.format("published_at")}.get(c, c) for c in article_columns]
    stories = [{"story_id": "'r' || :k || '-' || story_id", "first_published": shifted.format("first_published"),
                "last_published": shifted.format("last_published")}.get(c, c) for c in ["run_id", *STORY_COLUMNS]]
    conn = sqlite3.connect(target)
    conn.execute("ATTACH DATABASE ? AS seed", (str(seed),))
    with conn:
        conn.execute("INSERT INTO runs SELECT * FROM seed.runs")
        conn.execute("INSERT INTO embeddings SELECT * FROM seed.embeddings")
        for k in range(copies):
            conn.execute(f"INSERT INTO articles ({', '.join(article_columns)}) "
                         f"SELECT {', '.join(articles)} FROM seed.articles", {"k": k})
            conn.execute(f"INSERT INTO stories (run_id, {', '.join(STORY_COLUMNS)}) "
                         f"SELECT {', '.join(stories)} FROM seed.stories", {"k": k})
            conn.execute("INSERT INTO story_members (article_id, story_id, wire_group, content_hash) "
                         "SELECT 'r' || :k || '-' || article_id, 'r' || :k || '-' || story_id, wire_group, "
                         "content_hash FROM seed.story_members", {"k": k})
    conn.close()
    return target


def newest_widest_story(db: Path) -> str:
    """The story of the newest copy with the most outlets: what an editor opens from the front page."""
    with Store(db) as store:
        newest = store.published_span()[1]
        return store.conn.execute(
            "SELECT story_id FROM stories WHERE last_published >= date(?, '-2 days') "
            "ORDER BY n_outlets DESC, story_id LIMIT 1", (newest,)).fetchone()[0]


def page_times(db: Path, story: str | None) -> dict[str, float]:
    """Seconds of the front page (story None) or a story page: first run in a fresh cache, after a write, warm."""
    os.environ["PERSPECTIVES_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=600)
    if story:
        at.query_params["story"] = story
    st.cache_data.clear()
    st.cache_resource.clear()  # the embedding model too: loaded again by the first story page
    first = timed_runs(at, 1)[0]
    st.cache_data.clear()  # what a write does: the store's version changes, so every keyed result misses
    after_write = timed_runs(at, 1)[0]
    warm = timed_runs(at, 3)
    return {"first run s": first, "after a write s": after_write, "warm s": sum(warm) / len(warm)}


def archive_table(copies: list[int], workdir: Path = WORKDIR) -> pd.DataFrame:
    workdir.mkdir(parents=True, exist_ok=True)
    seed = seed_store(workdir)
    page_times(seed, None)  # the app's imports, done before any timing
    rows = []
    for k in [1, *copies]:
        start = time.perf_counter()
        db = seed if k == 1 else replicate(seed, workdir / f"archive-{k}.db", k)
        built = time.perf_counter() - start
        with Store(db) as store:
            articles = store.count("articles")
        story = newest_widest_story(db)
        for page, times in [("front page", page_times(db, None)), ("story page", page_times(db, story))]:
            rows.append({"articles": articles, "page": page, **{k: round(v, 2) for k, v in times.items()},
                         "store built s": round(built, 1)})
        if k != 1:
            db.unlink()
    return pd.DataFrame(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, nargs="*", default=[60, 600],
                        help="archive sizes in copies of the demo (162 articles each); none: the wide story only")
    args = parser.parse_args()
    print(archive_table(args.copies).to_string(index=False) if args.copies else main().to_string(index=False))
