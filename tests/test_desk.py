"""The editor's desk API on the demo store, and on an archive of it."""

import sqlite3

import pandas as pd
import pycountry
import pytest

from benchmarks.app_speed import replicate
from perspectives import desk
from perspectives.embed import HashedWords
from perspectives.framing import FramingAnalyser
from perspectives.ingest.files import articles_frame
from perspectives.ingest.schema import is_country_code
from perspectives.ingest.sources import load_registry
from perspectives.store import Store
from tests.conftest import DEMO, ROOT


@pytest.fixture(scope="module")
def found(demo_run):
    return desk.Desk.from_store(demo_run["db"])


def test_front_page_ranks_by_spread(found, aug8_story_id):
    ranked = desk.front_page(found, min_outlets=2)
    assert ranked.iloc[0]["story_id"] == aug8_story_id  # 15 countries, more than any other story
    assert (ranked["n_countries"].diff().dropna() <= 0).all()
    assert all(sum(c) == n for c, n in zip(ranked["coverage"], ranked["n_articles"]))


def test_front_page_filters(found):
    only_india = desk.front_page(found, countries=("IN",))
    assert len(only_india) and all("IN" in c for c in only_india["countries"])
    state = desk.front_page(found, ownership=("state",))
    everything = desk.front_page(found)
    assert 0 < len(state) < len(everything)
    one_day = desk.front_page(found, start=pd.Timestamp("2025-08-07").date(), end=pd.Timestamp("2025-08-07").date())
    assert one_day["first_seen"].str.startswith("2025-08-07").all()


def test_coverage_counts_articles_per_country(found, aug8_story_id):
    table = desk.coverage(found, aug8_story_id).set_index("country")
    assert table.loc["IN", "outlets"] == ["Bharat Ledger"] and table.loc["IN", "iso3"] == "IND"
    assert table.loc["GB", "name"] == "United Kingdom"


def test_blindspots_name_the_missing_groups(found):
    spots = desk.blindspots(found, by="ownership", min_story_outlets=8, min_group_outlets=2)
    assert len(spots)
    for row in spots.itertuples():
        assert set(row.missing) <= {"public", "private", "state"} and not set(row.missing) & set(row.covered_by)
    with pytest.raises(ValueError):
        desk.blindspots(found, by="planet")


def test_search_groups_hits_by_story(found, embedder, aug8_story_id):
    hits = desk.search(found, "Witkoff", embedder)
    assert hits.iloc[0]["story_id"] == aug8_story_id and hits.iloc[0]["hits"] >= 5
    assert desk.search(found, "   ", embedder).empty


def test_every_country_ingest_accepts_has_a_name_region_and_continent():
    table = desk.countries()
    registry = {o.country for o in load_registry(ROOT / "data" / "sources" / "world.toml").outlets}
    demo = set(pd.read_json(DEMO, lines=True)["country"].dropna())
    accepted = {c.alpha_2 for c in pycountry.countries}
    assert registry | demo <= accepted <= set(table.index)
    assert (table.loc[sorted(accepted), ["ISO3", "name", "region", "continent"]] != "").all().all()
    assert all(is_country_code(code) for code in table.index)  # no stray aliases (UK, EL)


@pytest.mark.parametrize("code, iso3, name, region, continent", [
    ("NA", "NAM", "Namibia", "Southern Africa", "Africa"),  # "NA" read as a code, not as missing
    ("US", "USA", "United States", "Northern America", "America"),
    ("BR", "BRA", "Brazil", "South America", "America"),
    ("JM", "JAM", "Jamaica", "Caribbean", "America"),
    ("DE", "DEU", "Germany", "Western Europe", "Europe"),
    ("FJ", "FJI", "Fiji", "Melanesia", "Oceania"),
    ("IN", "IND", "India", "Southern Asia", "Asia"),
])
def test_country_info_of_known_codes(code, iso3, name, region, continent):
    assert [desk.country_info(code, f) for f in ("ISO3", "name", "region", "continent")] == [iso3, name, region,
                                                                                              continent]


def test_an_unknown_or_missing_code_has_no_info():
    assert desk.country_info("ZZ", "name") is None and desk.country_info(None, "region") is None


# An archive: the demo store replicated 20 times a week apart (3,240 articles), its stories and vectors with it.
COPIES = 20


@pytest.fixture(scope="module")
def archive(demo_run, tmp_path_factory):
    return replicate(demo_run["db"], tmp_path_factory.mktemp("archive") / "archive.db", COPIES)


@pytest.fixture
def rows_read(monkeypatch):
    """How many rows each read of articles, memberships and stories returned, by method."""
    read: dict[str, list[int]] = {"articles": [], "members": [], "stories": []}
    for name in read:
        real = getattr(Store, name)
        monkeypatch.setattr(Store, name, lambda self, *a, _real=real, _name=name, **k:
                            read[_name].append(len(found := _real(self, *a, **k))) or found)
    return read


def sql(db, query: str, *params) -> list:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchall()


def test_the_latest_desk_reads_only_the_last_48_hours(archive, rows_read):
    newest = pd.Timestamp(sql(archive, "SELECT MAX(published_at) FROM articles")[0][0])
    start = (newest - pd.Timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = {i for (i,) in sql(archive, "SELECT id FROM articles WHERE published_at >= ?", start)}
    stories = {s for (s,) in sql(archive, "SELECT DISTINCT m.story_id FROM story_members m JOIN articles a "
                                          "ON a.id = m.article_id WHERE a.published_at >= ?", start)}
    found = desk.Desk.latest(archive)
    assert 0 < len(window) < 20 and set(found.articles["id"]) == window and set(found.stories["story_id"]) == stories
    assert rows_read == {"articles": [len(window)], "members": [len(window)], "stories": [len(stories)]}
    assert "text" not in found.articles.columns  # bodies are not read for the front page
    ranked = desk.front_page(found)
    assert set(ranked["story_id"]) == stories and ranked["story_id"].str.startswith(f"r{COPIES - 1}-").all()


def test_a_period_reads_its_articles_and_the_front_page_counts_only_them(archive, rows_read):
    found = desk.Desk.from_store(archive, start="2025-09-01", end=pd.Timestamp("2025-09-08"))
    expected = sql(archive, "SELECT COUNT(*) FROM articles WHERE published_at >= '2025-09-01T00:00:00Z' AND "
                            "published_at < '2025-09-08T00:00:00Z'")[0][0]
    assert len(found.articles) == expected and rows_read["articles"] == [expected]
    ranked = desk.front_page(found)
    assert ranked["n_articles"].sum() == expected
    assert ranked["first_seen"].between("2025-09-01", "2025-09-08").all()


def test_a_story_page_reads_its_story_and_the_days_around_it(archive, rows_read, embedder, aug8_story_id):
    story_id = f"r3-{aug8_story_id}"
    found = desk.Desk.around_story(archive, story_id)
    members = {m for (m,) in sql(archive, "SELECT article_id FROM story_members WHERE story_id = ?", story_id)}
    assert set(found.story_articles(story_id)["id"]) == members
    with Store(archive) as store:
        analyser = FramingAnalyser(embedder, store=store)
        analysis = desk.analyse_story(archive, story_id, analyser)
        whole = analyser.analyse_story(store.articles(), store.members(), story_id)
    # Its wording prior: whole days from 7 before its first article to 7 after its last.
    first, last = (pd.Timestamp(t).floor("D") for t in sql(
        archive, "SELECT MIN(published_at), MAX(published_at) FROM articles WHERE id IN "
                 "(SELECT article_id FROM story_members WHERE story_id = ?)", story_id)[0])
    [(prior,)] = sql(archive, "SELECT COUNT(*) FROM articles WHERE published_at >= ? AND published_at < ?",
                     desk.iso(first - pd.Timedelta(days=7)), desk.iso(last + pd.Timedelta(days=8)))
    assert rows_read["articles"] == [len(found.articles), prior, COPIES * 162]
    assert len(found.articles) < 100 and prior < 1000  # of 3,240
    for name, table in whole.tables.items():
        pd.testing.assert_frame_equal(analysis.tables[name], table, obj=name)


def test_search_reads_the_index_of_the_desks_period(archive, embedder):
    found = desk.Desk.from_store(archive, start="2025-09-11", end="2025-09-13")  # copy 5's August 8 story
    holding = sql(archive, "SELECT COUNT(*) FROM articles WHERE published_at >= '2025-09-11T00:00:00Z' AND "
                           "published_at < '2025-09-13T00:00:00Z' AND (title || ' ' || text || ' ' || "
                           "COALESCE(title_en, '') || ' ' || COALESCE(text_en, '')) LIKE '%witkoff%'")[0][0]
    by_words = desk.search(found, "Witkoff", embedder, min_similarity=1.0)  # no article is that close in meaning
    assert holding >= 5 and by_words["hits"].sum() == holding and set(by_words["match"]) == {"keyword"}
    hits = desk.search(found, "Witkoff", embedder)
    assert set(hits["story_id"]) <= set(found.stories["story_id"]) and len(hits) >= len(by_words)
    assert desk.search(desk.Desk.latest(archive), "Witkoff", embedder, min_similarity=1.0).empty


def test_a_desk_made_without_a_store_searches_its_own_articles():
    articles = articles_frame([
        {"id": "q1", "outlet": "Ledger", "title": "Quake in Izmir", "text": "A quake hit Izmir on Monday."},
        {"id": "q2", "outlet": "Courrier", "title": "Izmir rubble", "text": "Rescuers searched the rubble."},
        {"id": "r1", "outlet": "Ledger", "title": "Rates rise", "text": "The bank raised rates."}])
    found = desk.Desk(articles, pd.DataFrame({"story_id": ["s1", "s2"], "label": ["Quake", "Rates"]}),
                      pd.DataFrame({"article_id": ["q1", "q2", "r1"], "story_id": ["s1", "s1", "s2"]}))
    hits = desk.search(found, "quake hit Izmir", HashedWords(256), min_similarity=0.99)
    assert hits[["story_id", "match", "hits"]].values.tolist() == [["s1", "keyword", 1]]
