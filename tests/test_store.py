import json
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from perspectives.ingest.files import articles_frame
from perspectives.store import BUSY_TIMEOUT_S, Store, row_hashes
from tests.conftest import DEMO, ROOT, cli


def article(i, text="Body text."):
    return {"id": f"a{i}", "outlet": "Kyiv Signal", "title": f"Title {i}", "text": text, "country": "UA",
            "language": "uk", "published_at": f"2025-08-0{i}T10:00:00Z", "extra": {"gold": str(i)}}


def test_upsert_adds_once_and_updates_changed_rows(tmp_path):
    path = tmp_path / "store.db"
    with Store(path) as store:
        counts = store.upsert_articles(articles_frame([article(1), article(2)]))
        assert (counts.new, counts.updated, counts.unchanged) == (2, 0, 0)
        counts = store.upsert_articles(articles_frame([article(1), article(2, "Corrected body.")]))
        assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    # A real file on disk, readable by any SQLite client.
    rows = sqlite3.connect(path).execute("SELECT id, text FROM articles ORDER BY id").fetchall()
    assert rows == [("a1", "Body text."), ("a2", "Corrected body.")]
    with Store(path) as store:
        assert store.articles().loc[0, "extra"] == {"gold": "1"}


def test_without_texts_an_untitled_article_is_titled_by_its_texts_opening(tmp_path):
    from perspectives.store import OPENING

    long_text = "word " * OPENING
    with Store(tmp_path / "store.db") as store:
        store.upsert_articles(articles_frame([article(1), {**article(2, "A one-line text."), "title": ""},
                                              {**article(3, long_text), "title": ""}]))
        listed = store.articles(texts=False)
        full = store.articles()
    assert "text" not in listed.columns
    assert listed["title"].tolist() == ["Title 1", "A one-line text.", long_text[:OPENING - 1] + "…"]
    assert full["title"].tolist() == ["Title 1", "", ""]  # the stored title is as given


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    broken = article(2)
    broken["outlet"] = None  # violates NOT NULL after the first row was inserted
    with Store(tmp_path / "store.db") as store:
        with pytest.raises(sqlite3.IntegrityError):
            store.upsert_articles(articles_frame([article(1), broken]))
        assert store.count("articles") == 0


def test_embedding_cache_round_trip(tmp_path):
    vector = np.arange(4, dtype=np.float32)
    with Store(tmp_path / "store.db") as store:
        store.save_embeddings("m", {"h1": vector})
        assert store.cached_embeddings("m", ["h1", "h2"]).keys() == {"h1"}
        np.testing.assert_array_equal(store.cached_embeddings("m", ["h1"])["h1"], vector)
        assert store.cached_embeddings("other-model", ["h1"]) == {}


def test_replacing_stories_is_atomic_and_recorded_as_a_run(tmp_path):
    with Store(tmp_path / "store.db") as store:
        store.upsert_articles(articles_frame([article(1), article(2)]))
        run_id = store.start_run("cluster", {"model": "m"})
        stories = pd.DataFrame([{"story_id": "s1", "label": "L", "keywords": "k", "n_articles": 2, "n_outlets": 1,
                                 "countries": "UA", "first_published": None, "last_published": None}])
        members = pd.DataFrame({"article_id": ["a1", "a2"], "story_id": ["s1", "s1"], "wire_group": [None, None]})
        store.replace_stories(run_id, stories, members, {"stories": 1})
        bad_members = members.assign(article_id=["a1", "missing"])
        with pytest.raises(sqlite3.IntegrityError):
            store.replace_stories(store.start_run("cluster", {}), stories, bad_members, {})
        assert store.members()["article_id"].tolist() == ["a1", "a2"]
        assert store.runs().loc[0, "finished_at"] is not None


def test_a_store_from_an_earlier_version_is_upgraded(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE articles (id TEXT PRIMARY KEY, outlet TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL,
                url TEXT, country TEXT, language TEXT, published_at TEXT, title_en TEXT, text_en TEXT,
                extra TEXT NOT NULL DEFAULT '{}', ingested_at TEXT NOT NULL);
            CREATE TABLE story_members (article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL);
            INSERT INTO articles (id, outlet, title, text, ingested_at) VALUES ('a1', 'X', 'T', 'Body.', 'now');
            INSERT INTO story_members VALUES ('a1', 's1');
        """)
    with Store(path) as store:
        assert store.members().to_dict("records") == [
            {"article_id": "a1", "story_id": "s1", "wire_group": None, "content_hash": None, "placed_at": None,
             "place_similarity": None, "fit": None}]
        assert store.search("body") == ["a1"]  # indexed for search on the way
        counts = store.upsert_articles(articles_frame([article(2)]))
        assert counts.new == 1 and store.count("articles") == 2 and store.search("body") == ["a1", "a2"]
        kept, articles = store.article_hashes().set_index("id")["row_hash"], store.articles()
        assert kept[articles["id"]].tolist() == row_hashes(articles)  # filled for a1 too


def test_each_article_keeps_a_hash_of_all_its_fields_that_no_chunking_changes(tmp_path):
    with Store(tmp_path / "store.db") as store:
        store.upsert_articles(articles_frame([article(1), article(2), article(3)]))
        kept = store.article_hashes().set_index("id")["row_hash"]
        assert kept.tolist() == row_hashes(store.articles()) == row_hashes(store.articles()[::-1])[::-1]
        assert [row_hashes(store.articles("id = ?", (i,)))[0] for i in kept.index] == kept.tolist()
        store.upsert_articles(articles_frame([article(2) | {"url": "https://example.com/2"}]))  # not in the text
        after = store.article_hashes().set_index("id")["row_hash"]
    assert (after != kept).tolist() == [False, True, False]


# Run in another process: hold the store's write lock (or run a run) for as long as the test says.
HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO feeds (url, outlet, checked_at, status) VALUES ('http://127.0.0.1/x', 'X', 'now', 'ok')")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""
START_RUN = """
import sys, time
from perspectives.store import Store
Store(sys.argv[1]).start_run("cluster", {})
print("running", flush=True)
time.sleep(600)
"""


def other_process(script: str, *args) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True)
    process.stdout.readline()  # it holds what it should from here on
    return process


@pytest.mark.slow
def test_a_writer_blocked_8_s_by_another_then_succeeds(tmp_path):
    path = tmp_path / "store.db"
    Store(path).close()
    holder = other_process(HOLD_LOCK, path, 8)
    started = time.monotonic()
    with Store(path) as store:
        counts = store.upsert_articles(articles_frame([article(1)]))
        waited = time.monotonic() - started
        assert counts.new == 1 and store.count("feeds") == 1  # written after the other writer committed
    assert holder.wait(timeout=30) == 0
    assert waited > 5  # it really was blocked (SQLite's default wait is 5 s)


@pytest.mark.slow
def test_the_cli_explains_a_store_locked_for_too_long_in_one_line(tmp_path):
    path = tmp_path / "store.db"
    Store(path).close()
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({k: v for k, v in article(1).items() if k != "extra"}), encoding="utf-8")
    holder = other_process(HOLD_LOCK, path, BUSY_TIMEOUT_S + 60)
    try:
        result = cli("ingest", source, "--db", path, "--rejects", tmp_path / "rejects.csv", check=False)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert result.stderr.startswith("error: the store is locked") and len(result.stderr.strip().splitlines()) == 1
    assert "database is locked" in result.stderr


def run_states(path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT status, finished_at FROM runs ORDER BY run_id").fetchall()


@pytest.mark.slow
def test_a_run_is_marked_aborted_once_its_process_is_gone(tmp_path):
    path = tmp_path / "store.db"
    running = other_process(START_RUN, path)
    try:
        with Store(path) as store:
            store.start_run("report", {})
        assert [s for s, _ in run_states(path)] == ["running", "running"]  # the other process still runs it
    finally:
        running.kill()
        running.wait()
    with Store(path) as store:
        store.start_run("cluster", {})
    # The run of the killed process is aborted; this process's own earlier run is still its to finish.
    assert [s for s, _ in run_states(path)] == ["aborted", "running", "running"]


def test_a_run_that_fails_is_marked_aborted(tmp_path):
    with Store(tmp_path / "store.db") as store:
        with pytest.raises(KeyboardInterrupt), store.recording_run("cluster", {}):
            raise KeyboardInterrupt
        with store.recording_run("cluster", {}) as run_id:
            store.finish_run(run_id, {})
        assert store.runs()["status"].tolist() == ["aborted", "finished"]


@pytest.mark.slow
def test_a_killed_cluster_is_marked_aborted_by_the_next(tmp_path):
    db, source = tmp_path / "store.db", tmp_path / "some.jsonl"
    source.write_text("".join(DEMO.read_text(encoding="utf-8").splitlines(keepends=True)[:20]), encoding="utf-8")
    cli("ingest", source, "--db", db, "--rejects", tmp_path / "rejects.csv")
    clustering = subprocess.Popen([sys.executable, "-m", "perspectives.cli", "cluster", "--db", str(db)], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while run_states(db) != [("running", None)]:
            assert clustering.poll() is None and time.time() < deadline, "no run was recorded"
            time.sleep(0.05)
    finally:
        clustering.kill()
        clustering.wait()
    assert run_states(db) == [("running", None)]  # what a killed run leaves
    cli("cluster", "--db", db)
    states = run_states(db)
    assert states[0] == ("aborted", None) and states[1][0] == "finished" and states[1][1] is not None


def test_runs_of_a_store_from_an_earlier_version_get_a_status(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
                started_at TEXT NOT NULL, finished_at TEXT, params TEXT NOT NULL DEFAULT '{}',
                summary TEXT NOT NULL DEFAULT '{}');
            INSERT INTO runs (kind, started_at, finished_at) VALUES ('cluster', 't0', 't1'), ('cluster', 't2', NULL);
        """)
    with Store(path) as store:
        assert store.runs()["status"].tolist() == ["finished", "running"]
        store.start_run("cluster", {})
        assert store.runs()["status"].tolist() == ["finished", "aborted", "running"]


def test_the_search_index_follows_every_write(tmp_path):
    with Store(tmp_path / "store.db") as store:
        store.upsert_articles(articles_frame([article(1, "Talks in Zürich resumed."), article(2, "Floods in Kerala.")]))
        assert store.search("zurich") == ["a1"] and store.search("TALKS in zürich") == ["a1"]
        assert store.search("in") == ["a1", "a2"]
        assert store.search("in", "published_at >= :day", {"day": "2025-08-02"}) == ["a2"]
        assert store.search('talks AND "zurich" OR *') == []  # the user's text is a phrase, never a query
        store.upsert_articles(articles_frame([article(1, "Talks in Geneva resumed.")]))
        assert store.search("zurich") == [] and store.search("geneva") == ["a1"]
        store.prune(["a1"], [], [])  # and VACUUM, which may renumber the articles' rows
        assert store.search("geneva") == [] and store.search("kerala") == ["a2"]
        store.upsert_articles(articles_frame([article(3, "Geneva again.")]))
        assert store.search("geneva") == ["a3"] and store.search("title 3") == ["a3"]
        store.conn.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')")


def test_a_store_written_before_the_search_index_is_indexed_when_opened(tmp_path):
    path = tmp_path / "store.db"
    with Store(path) as store:
        store.upsert_articles(articles_frame([article(1, "Floods in Kerala."), article(2, "Talks in Geneva.")]))
        store.conn.executescript("DROP TABLE search_index; DROP TABLE search_keys; PRAGMA user_version = 0;")
    with Store(path) as store:
        assert store.search("kerala") == ["a1"] and store.search("in") == ["a1", "a2"]
        store.upsert_articles(articles_frame([article(3, "Floods in Assam.")]))
        assert store.search("floods in") == ["a1", "a3"]
    with Store(path) as store:  # indexed once: opening it again adds nothing twice
        assert store.count("search_keys") == 3 and store.search("in") == ["a1", "a2", "a3"]


def test_the_version_counts_writes_of_articles_and_stories_only(tmp_path):
    path = tmp_path / "store.db"
    with Store(path) as store:
        store.upsert_articles(articles_frame([article(1)]))
        written = store.version()
        assert written > 0
        store.upsert_articles(articles_frame([article(1)]))  # unchanged
        store.save_feed_state("https://a.example/feed", "A", "ok")
        store.save_embeddings("m", {"h1": np.ones(4, dtype=np.float32)})
        run_id = store.start_run("cluster", {})
        assert store.version() == written
        stories = pd.DataFrame([{"story_id": "s1", "label": "L", "keywords": "k", "n_articles": 1, "n_outlets": 1,
                                 "countries": "UA", "first_published": None, "last_published": None}])
        store.replace_stories(run_id, stories, pd.DataFrame({"article_id": ["a1"], "story_id": ["s1"]}), {})
        grouped = store.version()
        assert grouped > written
    with Store(path) as other:  # another connection, as the app's, sees the same number
        assert other.version() == grouped
        other.upsert_articles(articles_frame([article(1, "Corrected.")]))
        assert other.version() > grouped


def regrouped(store: Store, groups: list[list[int]]) -> dict[str, str]:
    """A cluster run of these groups of articles (numbers) whose ids carry over as the clusterer's do."""
    from perspectives.stories.identity import carry_over_ids

    members = pd.DataFrame([{"article_id": f"a{i}", "story_id": f"new-a{group[0]}"} for group in groups for i in group])
    mapping, lineage = carry_over_ids(members, store.members()[["article_id", "story_id"]])
    members["story_id"] = members["story_id"].map(mapping)
    stories = pd.DataFrame([{"story_id": story, "label": story, "keywords": "", "n_articles": len(group),
                             "n_outlets": 1, "countries": "UA", "first_published": None, "last_published": None}
                            for story, group in members.groupby("story_id")])
    store.replace_stories(store.start_run("cluster", {}), stories, members, {}, lineage)
    return dict(zip(members["article_id"], members["story_id"]))


def test_a_link_to_a_story_regrouped_since_leads_to_the_story_that_holds_its_articles(tmp_path):
    with Store(tmp_path / "store.db") as store:
        store.upsert_articles(articles_frame([article(i) for i in range(1, 8)]))
        first = regrouped(store, [[1, 2], [3], [4, 5, 6, 7]])
        second = regrouped(store, [[1, 2, 3], [4, 5, 6, 7]])  # a3's story merges into a1's, which keeps its id
        third = regrouped(store, [[1, 2, 3, 4, 5, 6, 7]])  # a1's story merges into the larger a4's
        assert second["a3"] == first["a1"] != first["a3"] and third["a1"] == first["a4"] != first["a1"]
        assert store.successor(first["a3"]) == store.successor(first["a1"]) == first["a4"]
        assert store.successor(first["a4"]) == first["a4"] and store.successor("s-never") is None
        store.prune([f"a{i}" for i in range(1, 8)], [first["a4"]], [])
        assert store.successor(first["a3"]) is None and store.successor(first["a4"]) is None
