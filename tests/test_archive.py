"""An archive that grows: framing cached per story, windowed regrouping, pruning (real SQLite files)."""

import functools
import sqlite3
from dataclasses import astuple

import pandas as pd
import pytest

from perspectives.framing import FramingAnalyser
from perspectives.framing.analysis import concat_rows
from perspectives.ingest.files import articles_frame
from perspectives.pipeline import update_framing
from perspectives.store import Store, doc_hash
from perspectives.text import english_text, english_title
from tests.conftest import DEMO, cli

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

    def story_rows(self, articles, members, story_ids=None, mapper=None, progress=False, counts=None):
        self.analysed += list(story_ids)
        return super().story_rows(articles, members, story_ids, mapper, progress, counts)


def update(path, embedder, **settings):
    """Bring the framing cache up to date; the cached tables, what was done and the stories analysed."""
    with Store(path) as store:
        analyser = CountingAnalyser(embedder, store=store, n_jobs=1, **settings)
        summary = update_framing(store, analyser, progress=False)
        tables = concat_rows(rows for chunk in store.framing_chunks() for rows in chunk.values())
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
    assert analysed == ["s-grain"] and (summary.reworded, summary.reused) == (0, 2)
    assert mentions(tables, "Farmers blocked the highway")  # the new text was analysed
    with Store(archive) as store:
        store.upsert_articles(articles_frame(story_articles("s-port", STORIES["s-port"], "Dockers cheered.")[:1]))
    _, summary, analysed = update(archive, embedder)
    assert analysed == ["s-port"]
    assert (summary.reworded, summary.reused) == (1, 1)  # s-rail's wording prior (its week) holds the changed article


def test_incremental_tables_equal_a_fresh_report(archive, embedder, tmp_path):
    update(archive, embedder)
    with Store(archive) as store:
        store.upsert_articles(articles_frame(story_articles("s-rail", STORIES["s-rail"], "Ports stayed shut.")[1:2]))
    incremental, summary, analysed = update(archive, embedder)
    assert analysed == ["s-rail"] and (summary.reworded, summary.reused) == (1, 1)  # s-port reworded; s-grain far
    fresh = tmp_path / "fresh.db"
    with sqlite3.connect(archive) as source, sqlite3.connect(fresh) as copy:
        source.backup(copy)
        copy.execute("DELETE FROM story_framing")
    recomputed, summary, _ = update(fresh, embedder)
    assert summary.reused == 0
    assert_same_tables(incremental, recomputed)


def test_stale_stories_taken_a_batch_at_a_time_give_the_same_tables(grown_archive, embedder, monkeypatch):
    whole, summary, _ = update(grown_archive, embedder)
    assert summary.analysed == 36
    with Store(grown_archive) as store:
        store.conn.execute("DELETE FROM story_framing")
        store.conn.commit()
    read = []
    real_read = Store.articles_with_ids
    monkeypatch.setattr(Store, "articles_with_ids", lambda self, ids: read.append(len(found := real_read(self, ids)))
                        or found)
    monkeypatch.setattr("perspectives.pipeline.FRAMING_BATCH", 5)
    batched, summary, analysed = update(grown_archive, embedder)
    assert summary.analysed == 36 and len(analysed) == 36 and len(read) == 8
    assert max(read) < 108 / 2  # each batch reads its weeks, not the archive
    assert_same_tables(whole, batched)


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


# -- windowed regrouping ----------------------------------------------------------------------------------------

@functools.cache
def demo_stories() -> list[list[dict]]:
    """The demo's stories with four or more articles, each as its articles (real, distinct texts)."""
    demo = pd.read_json(DEMO, lines=True, dtype=False)
    return [group.to_dict("records") for _, group in demo.groupby("gold_story", sort=True) if len(group) >= 4]


def weekly_story(week: int, topic: int, n_outlets: int = 3, day_offset: int = 0, hour: int = 8):
    """One story: `n_outlets` articles (the texts of a demo story) on a topic, in week `week` of 2025 (from May)."""
    day = pd.Timestamp("2025-05-05", tz="UTC") + pd.Timedelta(days=7 * week + day_offset)
    source = demo_stories()[topic % len(demo_stories())]
    return [{"id": f"w{week}-t{topic}-{n}-{hour}", "outlet": OUTLETS[n % 3][0], "country": OUTLETS[n % 3][1],
             "language": "en", "published_at": (day + pd.Timedelta(hours=hour + n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "title": f"{english_title(source[n])} (week {week})", "text": english_text(source[n])}
            for n in range(n_outlets)]


def cache_vectors(store, embedder, rows, seed=0):
    """Store each article's vector in the embedding cache (a tight direction per week and topic), as an archive
    whose articles were embedded before has them."""
    import zlib

    import numpy as np

    vectors = {}
    for row in rows:
        topic = row["id"].rsplit("-", 2)[0]
        rng = np.random.default_rng(zlib.crc32(f"{topic}|{seed}".encode()))
        base = rng.normal(size=384)
        noise = np.random.default_rng(zlib.crc32(row["id"].encode())).normal(scale=0.02, size=384)
        vector = base / np.linalg.norm(base) + noise
        vectors[doc_hash(row)] = (vector / np.linalg.norm(vector)).astype(np.float32)
    store.save_embeddings(embedder.name, vectors)


@pytest.fixture
def local_regroups(monkeypatch):
    """Regroups hold what the batch touches alone, however few (the archives here are smaller than a regroup's
    least: `stories.incremental.MIN_REGROUP`)."""
    monkeypatch.setattr("perspectives.stories.incremental.MIN_REGROUP", 1)


@pytest.fixture
def grown_archive(tmp_path, embedder):
    """Twelve weeks of three stories each, grouped once."""
    from perspectives.pipeline import cluster

    path = tmp_path / "grown.db"
    rows = [a for week in range(12) for topic in range(3) for a in weekly_story(week, 3 * week + topic)]
    with Store(path) as store:
        store.upsert_articles(articles_frame(rows))
        cache_vectors(store, embedder, articles_frame(rows).to_dict("records"))
    first = cluster(db=path, embedder=embedder, progress=False)
    assert first.mode == "full" and first.articles == len(rows)
    return path


@pytest.mark.usefixtures("local_regroups")
def test_a_new_day_reads_only_its_window_and_leaves_old_stories_untouched(grown_archive, embedder, monkeypatch):
    from perspectives.pipeline import cluster

    with Store(grown_archive) as store:
        before = store.stories().set_index("story_id")
        runs_before = dict(store.conn.execute("SELECT story_id, run_id FROM stories"))
        last_week = store.members().merge(store.articles(), left_on="article_id", right_on="id")
    # A fourth outlet joins last week's first story two hours later, and a new story starts the next day.
    joining = weekly_story(11, 33, n_outlets=4, hour=8)[3:]
    joining[0]["id"] = "w11-t33-3-late"
    fresh_story = weekly_story(11, 40, day_offset=1)
    new = articles_frame(joining + fresh_story)
    with Store(grown_archive) as store:
        store.upsert_articles(new)
        cache_vectors(store, embedder, new.to_dict("records"))
        assert sorted(store.changed_articles()["id"]) == sorted(new["id"])

    read = []
    real_articles = Store.articles
    monkeypatch.setattr(Store, "articles", lambda self, *a, **k: read.append(len(rows := real_articles(self, *a, **k)))
                        or rows)
    summary = cluster(db=grown_archive, embedder=embedder, progress=False)

    # Week 11's three stories (9 articles) and the 4 new ones: nothing of the eleven weeks before (the batch's dates
    # are read with the vectors and dates of the stored articles, `pipeline.stored_dates_read`, never their texts; the
    # batch is read first, to embed it and find the stored stories it may follow up: none, the weeks before being of
    # other stories).
    assert summary.mode == "incremental" and summary.regrouped == 13 and read == [4, 13]
    assert summary.articles == 36 * 3 + 4
    with Store(grown_archive) as store:
        after = store.stories().set_index("story_id")
        runs_after = dict(store.conn.execute("SELECT story_id, run_id FROM stories"))
        members = store.members().set_index("article_id")["story_id"]
        lineage = store.lineage()
        assert store.changed_articles().empty
    week11 = set(last_week.loc[last_week["id"].str.startswith("w11-"), "story_id"])
    old = set(before.index) - week11
    assert len(old) == 33 and all(runs_after[s] == runs_before[s] for s in old)  # not rewritten
    pd.testing.assert_frame_equal(after.loc[sorted(old)], before.loc[sorted(old)])
    assert members["w11-t33-3-late"] == members["w11-t33-0-8"]  # joined the story, which kept its id
    assert members["w11-t33-0-8"] in before.index and after.loc[members["w11-t33-0-8"], "n_articles"] == 4
    assert set(lineage.loc[lineage["run_id"] == summary.run_id, "parent_story_id"].dropna()) == week11


@pytest.mark.usefixtures("local_regroups")
def test_an_undated_article_regroups_only_the_window_of_the_dated_one_most_like_it(grown_archive, embedder):
    from perspectives.pipeline import cluster

    with Store(grown_archive) as store:
        before = store.members().set_index("article_id")["story_id"]
    undated = weekly_story(3, 9, n_outlets=4)[3:]  # a fourth outlet's report of week 3's first story, with no date
    undated[0].update(id="w3-t9-3-undated", published_at=None)
    with Store(grown_archive) as store:
        store.upsert_articles(articles_frame(undated))
        cache_vectors(store, embedder, articles_frame(undated).to_dict("records"))
    summary = cluster(db=grown_archive, embedder=embedder, progress=False)

    # Placed in week 3, it regroups weeks 2-4's window (days 2-4 of week 3 hold only week 3's stories): not all.
    assert summary.mode == "incremental" and summary.regrouped == 3 * 3 + 1
    with Store(grown_archive) as store:
        members = store.members().set_index("article_id")
    assert members.loc["w3-t9-3-undated", "story_id"] == members.loc["w3-t9-0-8", "story_id"] == before["w3-t9-0-8"]
    assert members.loc["w3-t9-3-undated", "placed_at"] == "2025-05-26T08:00:00Z"  # w3-t9-0-8's time
    assert members["placed_at"].drop("w3-t9-3-undated").isna().all()  # dated articles need no place

    # A later day does not touch it: it is placed in week 3, not anywhere.
    fresh = articles_frame(weekly_story(11, 40, day_offset=2))
    with Store(grown_archive) as store:
        store.upsert_articles(fresh)
        cache_vectors(store, embedder, fresh.to_dict("records"))
    later = cluster(db=grown_archive, embedder=embedder, progress=False)
    assert later.mode == "incremental" and later.regrouped == 3 * 3 + 3


def test_an_undated_article_that_came_first_joins_its_story_when_the_dated_reports_arrive(grown_archive, embedder,
                                                                                        monkeypatch):
    from perspectives.pipeline import cluster

    # Regroups of a few stories, as a store's least regroup holds among many: with one story alone in a regroup,
    # excess of mass can read none (`stories.incremental.MIN_REGROUP`).
    monkeypatch.setattr("perspectives.stories.incremental.MIN_REGROUP", 12)

    early = weekly_story(12, 50, n_outlets=4)[3:]  # a report of next week's story, undated, before the others
    early[0].update(id="w12-t50-3-undated", published_at=None)
    for batch in (early, weekly_story(12, 50)):
        with Store(grown_archive) as store:
            store.upsert_articles(articles_frame(batch))
            cache_vectors(store, embedder, articles_frame(batch).to_dict("records"))
        summary = cluster(db=grown_archive, embedder=embedder, progress=False)
        assert summary.mode == "incremental"
    with Store(grown_archive) as store:
        members = store.members().set_index("article_id")
    # Placed first by an unrelated article (its own story then), then moved by the reports most like it.
    assert members.loc["w12-t50-3-undated", "story_id"] == members.loc["w12-t50-0-8", "story_id"]
    assert members.loc["w12-t50-3-undated", "placed_at"].startswith("2025-07-28")  # their day
    assert summary.regrouped < 36 * 3 / 4


def test_a_story_alone_in_its_window_is_regrouped_with_enough_others_to_be_told_apart(grown_archive, embedder,
                                                                                     monkeypatch):
    from perspectives.pipeline import cluster
    from perspectives.stories.incremental import MIN_REGROUP

    lone = articles_frame(weekly_story(30, 60))  # 18 weeks after the archive's last: nothing else in its window
    with Store(grown_archive) as store:
        store.upsert_articles(lone)
        cache_vectors(store, embedder, lone.to_dict("records"))
    copy = grown_archive.with_name("copy.db")
    with sqlite3.connect(grown_archive) as source, sqlite3.connect(copy) as target:
        source.backup(target)

    # Alone, its three reports are the whole corpus, which HDBSCAN never makes one cluster: three stories. Among the
    # reference articles (the default for so small a corpus) they are one.
    monkeypatch.setattr("perspectives.stories.incremental.MIN_REGROUP", 1)
    alone = cluster(db=copy, embedder=embedder, progress=False, reference=pd.DataFrame())
    with Store(copy) as store:
        assert alone.regrouped == 3 and store.members().set_index("article_id")["story_id"][lone["id"]].nunique() == 3
        store.upsert_articles(lone.assign(title=lone["title"] + "."))  # changed: regrouped again
    among = cluster(db=copy, embedder=embedder, progress=False)
    with Store(copy) as store:
        assert among.regrouped == 3 and store.members().set_index("article_id")["story_id"][lone["id"]].nunique() == 1
    monkeypatch.undo()
    widened = cluster(db=grown_archive, embedder=embedder, progress=False)
    with Store(grown_archive) as store:
        members = store.members().set_index("article_id")["story_id"]
    assert MIN_REGROUP <= widened.regrouped < 36 * 3 and members[lone["id"]].nunique() == 1


def test_nothing_new_reads_no_articles(grown_archive, embedder, monkeypatch):
    from perspectives.pipeline import cluster

    read = []
    monkeypatch.setattr(Store, "articles", lambda self, *a, **k: read.append(1))
    summary = cluster(db=grown_archive, embedder=embedder, progress=False)
    assert summary.mode == "unchanged" and read == [] and summary.stories == 36


@pytest.mark.parametrize("least", [1, 30])  # as the batch touches, and widened to 30 articles
def test_the_sql_window_and_its_in_memory_twin_select_the_same_articles(grown_archive, embedder, monkeypatch, least):
    from perspectives.pipeline import stored_scope
    from perspectives.stories.incremental import regroup_scope

    monkeypatch.setattr("perspectives.stories.incremental.MIN_REGROUP", least)
    with Store(grown_archive) as store:
        store.upsert_articles(articles_frame(weekly_story(6, 40, day_offset=2)))
        changed = store.changed_articles()
        articles, previous = store.articles(), store.members()
        selected, touched = store.regroup_window(*astuple(stored_scope(store, changed, embedder, 3.0)[0]))
    scope = regroup_scope(articles, articles["id"].isin(changed["id"]).to_numpy(), previous, 3.0)
    assert sorted(selected["id"]) == sorted(articles.loc[scope, "id"])
    assert max(3, least) < scope.sum() < len(articles) / 2  # the new story and the week around it (or more)
    assert set(touched["article_id"]) == set(selected["id"]) - set(changed["id"])


@pytest.mark.parametrize("least", [1, 30])
def test_with_undated_articles_the_sql_scope_and_its_twin_select_the_same_articles(grown_archive, embedder,
                                                                                  monkeypatch, least):
    import numpy as np

    from perspectives.pipeline import cluster, stored_scope
    from perspectives.stories.incremental import regroup_scope

    def undated(week, topic, outlet=3):
        row = weekly_story(week, topic, n_outlets=outlet + 1)[outlet:]
        return [{**row[0], "id": f"w{week}-t{topic}-{outlet}-undated", "published_at": None}]

    monkeypatch.setattr("perspectives.stories.incremental.MIN_REGROUP", least)

    def add(rows):
        with Store(grown_archive) as store:
            store.upsert_articles(articles_frame(rows))
            cache_vectors(store, embedder, articles_frame(rows).to_dict("records"))

    add(undated(3, 9))
    cluster(db=grown_archive, embedder=embedder, progress=False)  # placed in week 3
    add(undated(8, 24) + weekly_story(6, 40, day_offset=2))
    with Store(grown_archive) as store:
        changed = store.changed_articles()
        articles, previous = store.articles(), store.members()
        selected, _ = store.regroup_window(*astuple(stored_scope(store, changed, embedder, 3.0)[0]))
        cached = store.article_vectors(embedder.name)
    vectors = np.vstack([cached[i] for i in articles["id"]])
    scope = regroup_scope(articles, articles["id"].isin(changed["id"]).to_numpy(), previous, 3.0, vectors=vectors)
    assert sorted(selected["id"]) == sorted(articles.loc[scope, "id"])
    # Weeks 6 (the new story's) and 8 (where the new undated article is placed), and the stored undated article
    # it reaches, with its story: 4 + 3 + 1 stories; widened to 30 articles, a week more.
    chosen = set(articles.loc[scope, "id"].str[:6])
    assert chosen >= {"w3-t9-", "w6-t18", "w6-t19", "w6-t20", "w6-t40", "w8-t24", "w8-t25", "w8-t26"}
    assert scope.sum() == 26 if least == 1 else 30 <= scope.sum() <= 35


def test_a_report_on_an_unchanged_archive_reads_no_article_whole_and_renders_nothing(grown_archive, embedder,
                                                                                    tmp_path, monkeypatch):
    from perspectives.pipeline import report

    report(db=grown_archive, out=tmp_path / "first", embedder=embedder, progress=False)
    read, sizes = [], []
    monkeypatch.setattr(Store, "articles", lambda self, *a, **k: read.append(1))
    monkeypatch.setattr("perspectives.store.READ_CHUNK", 10)
    real_chunks = Store.article_chunks
    monkeypatch.setattr(Store, "article_chunks", lambda self, *a, **k: (
        sizes.append(len(chunk)) or chunk for chunk in real_chunks(self, *a, **k)))
    rendered = []
    monkeypatch.setattr(Store, "save_rendered", lambda self, stories, version: rendered.append(stories))
    report(db=grown_archive, out=tmp_path / "again", embedder=embedder, progress=False)
    assert read == [] and max(sizes) == 10 and sum(sizes) == 2 * 108  # the extras, then the articles file
    assert rendered == []
    for first in (tmp_path / "first").iterdir():
        assert first.read_bytes() == (tmp_path / "again" / first.name).read_bytes(), first.name


# -- retention ------------------------------------------------------------------------------------------------

def test_prune_removes_old_stories_their_vectors_and_framing_in_one_go(grown_archive, embedder):
    from perspectives.pipeline import cluster, prune

    update(grown_archive, embedder)  # framing cached, sentence vectors embedded
    with Store(grown_archive) as store:
        articles, members = store.articles(), store.members()
        vectors_before = store.count("embeddings")
        framed = {row[0] for row in store.conn.execute("SELECT story_id FROM story_framing")}
    old = articles.loc[articles["published_at"] < "2025-06-16", "id"]
    old_stories = set(members.loc[members["article_id"].isin(old), "story_id"])
    assert len(old) == 54 and len(old_stories) == 18

    summary = prune(db=grown_archive, before="2025-06-16")

    assert (summary.articles, summary.stories) == (54, 18) and summary.before == "2025-06-16T00:00:00Z"
    assert summary.bytes_after < summary.bytes_before
    with Store(grown_archive) as store:
        kept = store.articles()
        assert set(kept["id"]) == set(articles["id"]) - set(old)
        assert not old_stories & store.story_ids() and len(store.story_ids()) == 18
        assert store.members()["article_id"].isin(kept["id"]).all()
        assert {row[0] for row in store.conn.execute("SELECT story_id FROM story_framing")} == framed - old_stories
        assert store.count("embeddings") == vectors_before - summary.vectors
        hashes = {row[0] for row in store.conn.execute("SELECT content_hash FROM embeddings")}
        kept_docs = {doc_hash(row) for row in kept.to_dict("records")}
        pruned_docs = {doc_hash(row) for row in articles[articles["id"].isin(old)].to_dict("records")} - kept_docs
        assert pruned_docs and not hashes & pruned_docs and kept_docs <= hashes  # a text still used keeps its vector
        assert summary.vectors > len(pruned_docs)  # sentence vectors went too
        assert store.lineage()["story_id"].isin(store.story_ids()).all()
    assert cluster(db=grown_archive, embedder=embedder, progress=False).mode == "unchanged"
    _, after, analysed = update(grown_archive, embedder)
    # Only week 6's stories get their wording again: the week before them, in their wording prior, is gone.
    assert analysed == [] and (after.reworded, after.reused, after.dropped) == (3, 15, 0)


def test_prune_keeps_a_story_that_reaches_past_the_cutoff_whole(archive):
    from perspectives.pipeline import prune

    with Store(archive) as store:  # s-port (Aug 1) grouped with one s-rail article (Aug 5)
        write_stories(store, {"s-port": ["s-port-0", "s-port-1", "s-port-2", "s-rail-0"],
                              "s-rail": ["s-rail-1", "s-rail-2"], "s-grain": [f"s-grain-{n}" for n in range(3)]})
    summary = prune(db=archive, before="2025-08-03")
    assert (summary.articles, summary.stories) == (0, 0)
    summary = prune(db=archive, keep_days=20, now=pd.Timestamp("2025-08-27", tz="UTC"))  # cutoff Aug 7
    assert (summary.articles, summary.stories) == (6, 2)
    with Store(archive) as store:
        assert store.story_ids() == {"s-grain"} and store.count("articles") == 3


def test_prune_from_the_command_line(archive):
    bad = cli("prune", "--db", archive, "--before", "not a date", check=False)
    assert bad.returncode == 2 and "invalid --before" in bad.stderr
    assert cli("prune", "--db", archive, check=False).returncode == 2
    done = cli("prune", "--db", archive, "--before", "2025-09-01")
    assert "removed 6 articles published before 2025-09-01T00:00:00Z, 2 stories" in done.stdout
