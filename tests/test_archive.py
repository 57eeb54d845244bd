"""An archive that grows: framing cached per story, windowed regrouping, pruning (real SQLite files)."""

import sqlite3

import pandas as pd
import pytest

from perspectives.framing import FramingAnalyser
from perspectives.ingest.files import articles_frame
from perspectives.pipeline import update_framing
from perspectives.store import Store

OUTLETS = [("Kyiv Signal", "UA"), ("Berlin Daily", "DE"), ("Lagos Times", "NG")]
# Three stories, two close together (4 days apart: each is in the other's wording prior) and one weeks later.
STORIES = {"s-port": "2025-08-01", "s-rail": "2025-08-05", "s-grain": "2025-09-10"}
TOPICS = {"s-port": "the harbour strike closed the port of Odesa", "s-rail": "the rail union halted freight trains",
          "s-grain": "the grain deal collapsed after the minister walked out"}


def story_articles(story_id, day, extra_sentence=""):
    topic = TOPICS[story_id]
    return [{"id": f"{story_id}-{n}", "outlet": outlet, "country": country, "language": "en",
             "published_at": f"{day}T{8 + n}:00:00Z", "title": f"{outlet}: {topic}",
             "text": (f"Officials said {topic}. The minister told reporters the government would respond. "
                      f"Critics called the decision reckless, according to {outlet}. {extra_sentence}").strip()}
            for n, (outlet, country) in enumerate(OUTLETS)]


def write_stories(store, grouping: dict[str, list[str]]):
    """Store this grouping (story id -> article ids) as a cluster run would."""
    run_id = store.start_run("cluster", {"model": "test"})
    stories = pd.DataFrame([{"story_id": sid, "label": sid, "keywords": "", "n_articles": len(ids),
                             "n_outlets": len(ids), "countries": "", "first_published": None,
                             "last_published": None} for sid, ids in grouping.items()])
    members = pd.DataFrame([{"article_id": a, "story_id": sid, "wire_group": None, "content_hash": None}
                            for sid, ids in grouping.items() for a in ids])
    store.replace_stories(run_id, stories, members, {})


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "archive.db"
    with Store(path) as store:
        store.upsert_articles(articles_frame([a for sid, day in STORIES.items() for a in story_articles(sid, day)]))
        write_stories(store, {sid: [f"{sid}-{n}" for n in range(len(OUTLETS))] for sid in STORIES})
    return path


class CountingAnalyser(FramingAnalyser):
    """A real analyser that records which stories it was asked to analyse."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.analysed = []

    def story_rows(self, articles, members, story_ids=None, mapper=None, progress=False):
        self.analysed += list(story_ids)
        return super().story_rows(articles, members, story_ids, mapper, progress)


def update(path, embedder, **settings):
    with Store(path) as store:
        analyser = CountingAnalyser(embedder, store=store, n_jobs=1, **settings)
        tables, summary = update_framing(store, analyser, store.articles(), store.members(), progress=False)
    return tables, summary, sorted(analyser.analysed)


def mentions(tables, text):
    return any(text in str(cell) for table in tables.values() for cell in table.to_numpy().ravel())


def assert_same_tables(first, second):
    assert first.keys() == second.keys()
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)


def test_an_unchanged_archive_reuses_every_storys_framing(archive, embedder):
    tables, summary, analysed = update(archive, embedder)
    assert analysed == sorted(STORIES) and (summary.analysed, summary.reused) == (3, 0)
    assert set(tables["takes"]["story_id"]) == set(STORIES)
    again, summary, analysed = update(archive, embedder)
    assert analysed == [] and (summary.analysed, summary.reused) == (0, 3)
    assert_same_tables(again, tables)


def test_a_changed_member_recomputes_its_story_and_those_whose_prior_holds_it(archive, embedder, tmp_path):
    update(archive, embedder)
    with Store(archive) as store:
        changed = story_articles("s-grain", STORIES["s-grain"], "Farmers blocked the highway in protest.")
        store.upsert_articles(articles_frame(changed[:1]))
    tables, summary, analysed = update(archive, embedder)
    assert analysed == ["s-grain"] and summary.reused == 2
    assert mentions(tables, "Farmers blocked the highway")  # the new text was analysed
    with Store(archive) as store:
        store.upsert_articles(articles_frame(story_articles("s-port", STORIES["s-port"], "Dockers cheered.")[:1]))
    _, _, analysed = update(archive, embedder)
    assert analysed == ["s-port", "s-rail"]  # s-rail's wording prior (its week) holds the changed article


def test_incremental_tables_equal_a_fresh_report(archive, embedder, tmp_path):
    update(archive, embedder)
    with Store(archive) as store:
        store.upsert_articles(articles_frame(story_articles("s-rail", STORIES["s-rail"], "Ports stayed shut.")[1:2]))
    incremental, summary, _ = update(archive, embedder)
    assert summary.reused == 1  # s-grain, weeks away
    fresh = tmp_path / "fresh.db"
    with sqlite3.connect(archive) as source, sqlite3.connect(fresh) as copy:
        source.backup(copy)
        copy.execute("DELETE FROM story_framing")
    recomputed, summary, _ = update(fresh, embedder)
    assert summary.reused == 0
    assert_same_tables(incremental, recomputed)


def test_a_changed_setting_recomputes_every_story(archive, embedder):
    update(archive, embedder)
    _, summary, analysed = update(archive, embedder, n_terms=3)
    assert analysed == sorted(STORIES) and summary.reused == 0
    _, summary, analysed = update(archive, embedder, n_terms=3)
    assert analysed == []


def test_changed_framing_code_recomputes_every_story(archive, embedder, monkeypatch):
    update(archive, embedder)
    monkeypatch.setattr("perspectives.framing.analysis.code_digest", lambda: "another version of the code")
    _, summary, analysed = update(archive, embedder)
    assert analysed == sorted(STORIES) and summary.reused == 0


def test_the_cache_of_a_story_that_is_gone_is_dropped(archive, embedder):
    update(archive, embedder)
    with Store(archive) as store:
        write_stories(store, {"s-port": [f"s-port-{n}" for n in range(3)], "s-rail": [f"s-rail-{n}" for n in range(3)],
                              "s-grain-a": ["s-grain-0"], "s-grain-b": ["s-grain-1", "s-grain-2"]})
    tables, summary, analysed = update(archive, embedder)
    assert analysed == ["s-grain-b"] and summary.dropped == 1 and summary.reused == 2
    with Store(archive) as store:
        cached = {row[0] for row in store.conn.execute("SELECT story_id FROM story_framing")}
    assert cached == {"s-port", "s-rail", "s-grain-b"}
    assert set(tables["takes"]["story_id"]) == cached
