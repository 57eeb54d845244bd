"""The editor's desk API on the demo store."""

import pandas as pd
import pycountry
import pytest

from perspectives import desk
from perspectives.ingest.schema import is_country_code
from perspectives.ingest.sources import load_registry
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
