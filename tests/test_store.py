import sqlite3

import numpy as np
import pandas as pd
import pytest

from perspectives.ingest.files import articles_frame
from perspectives.store import Store


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
            {"article_id": "a1", "story_id": "s1", "wire_group": None, "content_hash": None}]
        counts = store.upsert_articles(articles_frame([article(2)]))
        assert counts.new == 1 and store.count("articles") == 2
