"""The editors' app: front page, coverage map, blindspots, search, and each story's Alternative Takes.

Run with `perspectives app --db STORE` (or `streamlit run streamlit_app.py` with PERSPECTIVES_DB set).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from perspectives import desk
from perspectives.app import story_views
from perspectives.app.render import block, counted, flag, inert, plotly_text, safe_url, shown_time
from perspectives.embed import Embedder
from perspectives.framing import FramingAnalyser, StoryAnalysis
from perspectives.ingest.schema import UNKNOWN_OUTLET
from perspectives.pipeline import framing_embedder, store_embedder
from perspectives.store import DEFAULT_DB, Store


def db_path() -> Path:
    """`--db` after `--` on the streamlit command line, else PERSPECTIVES_DB, else the default file."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    known, _ = parser.parse_known_args(sys.argv[1:])
    return Path(known.db or os.environ.get("PERSPECTIVES_DB", DEFAULT_DB))


def store_version(db: Path) -> int:
    """What every cached result is keyed by: the store's count of writes to its articles, stories and memberships
    (a poll, a report or a VACUUM changes the file but none of what the app shows)."""
    with Store(db) as store:
        return store.version()


@dataclass(frozen=True)
class Shown:
    """What a view draws from: the store, its version and the period chosen (ISO bounds, None: open)."""

    db: str
    version: int
    start: str | None
    end: str | None

    def desk(self) -> desk.Desk:
        return cached_desk(self.db, self.version, self.start, self.end)


@st.cache_data(show_spinner=False)
def cached_desk(db: str, version: int, start: str | None, end: str | None) -> desk.Desk:
    return desk.Desk.from_store(db, start, end)


@st.cache_data(show_spinner=False)
def cached_span(db: str, version: int) -> tuple[str | None, str | None]:
    with Store(db) as store:
        return store.published_span()


@st.cache_data(show_spinner=False)
def cached_story(db: str, version: int, story_id: str) -> pd.DataFrame:
    """The story of a link: its own, or where a regroup since took its articles (`Store.successor`)."""
    with Store(db) as store:
        return store.stories("story_id = ?", (store.successor(story_id) or story_id,))


@st.cache_data(show_spinner=False)
def cached_story_desk(db: str, version: int, story_id: str) -> desk.Desk:
    return desk.Desk.around_story(db, story_id)


@st.cache_resource(show_spinner="Loading the embedding model…")
def cached_embedder(db: str) -> Embedder:
    return framing_embedder(store_embedder(db))


@st.cache_data(show_spinner="Comparing outlets…")
def cached_analysis(db: str, version: int, story_id: str) -> StoryAnalysis:
    with Store(db) as store:
        return desk.analyse_story(db, story_id, FramingAnalyser(cached_embedder(db), store=store))


@st.cache_data(show_spinner="Drawing the story…")
def cached_story_view(db: str, version: int, story_id: str) -> story_views.StoryView:
    articles = cached_story_desk(db, version, story_id).story_articles(story_id)
    return story_views.prepare_view(cached_analysis(db, version, story_id), articles)


@st.cache_data(show_spinner=False)
def cached_blindspots(shown: Shown, by: str, min_story: int = 5, min_group: int = 2) -> pd.DataFrame:
    return desk.blindspots(shown.desk(), by=by, min_story_outlets=min_story, min_group_outlets=min_group)


@st.cache_data(show_spinner=False)
def cached_story_blindspots(db: str, version: int, story_id: str) -> pd.DataFrame:
    """The story's blindspots among the outlets publishing around it (see `Desk.around_story`)."""
    return desk.blindspots(cached_story_desk(db, version, story_id), by="region", story_ids=[story_id])


@st.cache_data(show_spinner=False)
def cached_coverage(db: str, version: int, story_id: str) -> pd.DataFrame:
    return desk.coverage(cached_story_desk(db, version, story_id), story_id)


@st.cache_data(show_spinner=False)
def cached_front_page(shown: Shown, filters: tuple) -> pd.DataFrame:
    return desk.front_page(shown.desk(), **dict(filters))


@st.cache_data(show_spinner="Searching…")
def cached_search(shown: Shown, query: str) -> pd.DataFrame:
    with Store(shown.db) as store:
        return desk.search(shown.desk(), query, cached_embedder(shown.db), store)


def open_story(story_id: str) -> None:
    st.query_params["story"] = story_id
    st.rerun()


def story_picker(stories: pd.DataFrame, label: str, key: str) -> str | None:
    labels = dict(zip(stories["story_id"], stories["label"]))
    return st.selectbox(label, list(labels), format_func=lambda sid: labels[sid], index=None,
                        placeholder="Choose a story…", key=key)


# The periods offered, counted back from the store's newest article (hours); the first is the default.
RECENT = {"Last 48 hours": desk.LATEST_HOURS, "Last 7 days": 7 * 24.0, "Last 30 days": 30 * 24.0}
CHOSEN_DATES, EVERYTHING = "Between dates", "Everything"


def sidebar_period(db: str, version: int) -> tuple[str | None, str | None]:
    """The period every view reads (ISO bounds, None: open): by default the store's last 48 hours."""
    first, last = cached_span(db, version)
    if last is None:  # a period would hide nothing, so none is offered
        st.sidebar.caption("No article here has a date: every view shows all of them.")
        return None, None
    choice = st.sidebar.selectbox("Period", [*RECENT, CHOSEN_DATES, EVERYTHING], key="period")
    if choice == EVERYTHING:
        return None, None
    newest = pd.Timestamp(last)
    st.sidebar.caption(f"Newest article: {inert(last)}")
    if choice in RECENT:
        return desk.iso(newest - pd.Timedelta(hours=RECENT[choice])), None
    oldest = pd.Timestamp(first).date()
    picked = st.sidebar.date_input("Published between", (max(oldest, (newest - pd.Timedelta(days=2)).date()),
                                                         newest.date()),
                                   min_value=oldest, max_value=newest.date(), key="period_dates")
    days = list(picked) if isinstance(picked, (tuple, list)) else [picked]
    if not days:
        return None, None
    return desk.iso(days[0]), desk.iso(pd.Timestamp(days[-1]) + pd.Timedelta(days=1))


def filter_values(found: desk.Desk) -> dict[str, list[str]]:
    """The values each sidebar filter offers (by the filter's column): countries and languages as the articles give
    them (an outlet may write in two languages, and articles without an outlet in any), the rest by outlet; no
    outlet where no article names one."""
    articles, outlets = found.articles, found.outlets()
    countries = articles["country"].dropna().unique()
    named = outlets[outlets["outlet"] != UNKNOWN_OUTLET]
    values = {"country": countries, "region": pd.Series([desk.country_info(c, "region") for c in countries]),
              "language": articles["language"].dropna().unique(),
              "outlet": outlets["outlet"] if len(named) else [], "ownership": outlets["ownership"]}
    return {column: sorted(pd.Series(found_values).dropna().unique()) for column, found_values in values.items()}


def sidebar_filters(found: desk.Desk) -> dict:
    st.sidebar.header("Filters")
    values = filter_values(found)
    filters: dict = {}
    options = [("countries", "Countries", "country"), ("regions", "Regions", "region"),
               ("languages", "Languages", "language"), ("outlets", "Outlets", "outlet"),
               ("ownership", "Ownership", "ownership")]
    for key, label, column in options:
        if values[column]:
            fmt = (lambda c: f"{flag(c)} {c}") if column == "country" else str
            filters[key] = tuple(st.sidebar.multiselect(label, values[column], format_func=fmt, key=f"filter_{key}"))
    # Stories of two outlets or more are the ones to compare; where the articles name fewer, every story is listed.
    if values["outlet"]:
        filters["min_outlets"] = st.sidebar.slider("At least this many outlets", 1, 10,
                                                   2 if len(values["outlet"]) > 1 else 1)
    return filters


def front_page_view(shown: Shown) -> None:
    st.title("Today's stories")
    filters = sidebar_filters(shown.desk())
    ranked = cached_front_page(shown, tuple(sorted(filters.items())))
    undated = ranked["first_seen"].isna().all()
    nameless = "outlets" not in filters
    st.caption(f"{counted(len(ranked), 'story', 'stories')} in the period chosen · ranked by spread: countries, "
               f"{'' if nameless else 'outlets, '}{'' if undated else 'articles in the last 6 hours, '}then articles")
    if ranked.empty:
        st.info("No story matches these filters in this period.")
        return
    table = ranked.assign(countries=ranked["countries"].map(lambda cs: " ".join(f"{flag(c)}{c}" for c in cs)))
    # Where no article names a country or an outlet, or none is dated, the columns that would say so are left out.
    unknown = {*(["countries", "n_countries"] if not ranked["n_countries"].any() else []),
               *(["n_outlets"] if nameless else []), *(["growth", "first_seen", "coverage"] if undated else [])}
    st.dataframe(
        table[[column for column in ["label", "countries", "n_countries", "n_outlets", "n_articles", "growth",
                                     "first_seen", "coverage", "keywords"] if column not in unknown]],
        hide_index=True, width="stretch",
        column_config={"label": "Story", "countries": "Countries", "n_countries": "Countries (n)",
                       "n_outlets": "Outlets", "n_articles": "Articles", "growth": "Last 6 h",
                       "first_seen": "First seen", "keywords": "Keywords",
                       "coverage": st.column_config.LineChartColumn("Coverage over time (per hour)")},
    )
    choice = story_picker(ranked, "Open a story", "open_story")
    if choice:
        open_story(choice)


def coverage_map(db: str, version: int, story_id: str, key: str) -> str:
    table = cached_coverage(db, version, story_id)
    figure = px.choropleth(plotly_text(table), locations="iso3", color="articles", hover_name="name",
                           hover_data={"iso3": False, "country": True}, custom_data=["country"],
                           color_continuous_scale="Blues", range_color=[0, max(2, int(table["articles"].max()))],
                           height=460)
    figure.update_geos(projection_type="natural earth", showcountries=True, countrycolor="#bbb",
                       lataxis_range=[-58, 85])
    figure.update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 0})
    # The world shapes come from the app's static folder, not plotly's CDN (the app may run offline).
    event = st.plotly_chart(figure, on_select="rerun", selection_mode="points", key=key,
                            config={"topojsonURL": "app/static/"})
    clicked = [p.get("customdata", [None])[0] for p in (event.selection.points if event else [])]
    countries = sorted(table["country"])
    chosen = st.selectbox("Country", countries, index=countries.index(clicked[0]) if clicked and clicked[0]
                          in countries else 0, format_func=lambda c: f"{flag(c)} {c}", key=f"{key}_country")
    outlets = table.set_index("country").loc[chosen, "outlets"]
    lead = f"{counted(len(outlets), 'outlet', 'outlets')} in {inert(chosen)}:"
    story_views.show_html(block("p", ", ".join(outlets), lead=lead))
    return chosen


def map_view(shown: Shown) -> None:
    st.title("Coverage map")
    if not shown.desk().articles["country"].notna().any():
        st.info("No article here names a country, so there is nothing to map.")
        return
    stories = shown.desk().stories
    multi = stories[stories["n_outlets"] >= 2]
    story_id = story_picker(multi, "Story", "map_story") or (multi["story_id"].iloc[0] if len(multi) else None)
    if story_id is None:
        st.info("No story in this period has two or more outlets yet.")
        return
    story_views.show_html(block("h3", stories.set_index("story_id").at[story_id, "label"]))
    country = coverage_map(shown.db, shown.version, story_id, "coverage_map")
    takes = cached_analysis(shown.db, shown.version, story_id).takes
    story_views.takes_cards(takes[takes["country"] == country])


def blindspots_view(shown: Shown) -> None:
    st.title("Blindspots")
    st.caption("Stories covered widely, but by no outlet of some group that the corpus does follow in this period.")
    by = st.radio("Group outlets by", desk.GROUPINGS, index=1, horizontal=True)
    left, right = st.columns(2)
    min_story = left.number_input("Story covered by at least this many outlets", 2, 50, 5)
    min_group = right.number_input("Count a group when the corpus has at least this many outlets in it", 1, 20, 2)
    st.caption(f"A {by} is a blindspot of a story when the corpus follows at least {min_group} outlets there and "
               f"none of them covered the story, while {min_story} or more outlets elsewhere did.")
    spots = cached_blindspots(shown, by, int(min_story), int(min_group))
    if spots.empty:
        st.info("No blindspot with these thresholds.")
        return
    st.dataframe(spots[["label", "n_outlets", "summary"]], hide_index=True, width="stretch",
                 column_config={"label": "Story", "n_outlets": "Outlets", "summary": "Coverage"})
    choice = story_picker(spots, "Open a story", "blindspot_story")
    if choice:
        open_story(choice)


def search_view(shown: Shown) -> None:
    st.title("Search")
    query = st.text_input("Search stories and articles", placeholder="e.g. tariffs on Russian oil")
    if not query:
        return
    hits = cached_search(shown, query)
    st.caption(f"{counted(len(hits), 'story', 'stories')} in the period chosen · by meaning (same embeddings as the "
               "grouping) and by exact words")
    if hits.empty:
        st.info("Nothing found.")
        return
    st.dataframe(hits.assign(titles=hits["titles"].map(" | ".join))[["label", "score", "match", "hits", "titles"]],
                 hide_index=True, width="stretch", column_config={"label": "Story", "titles": "Matching articles"})
    choice = story_picker(hits, "Open a story", "search_story")
    if choice:
        open_story(choice)


def story_page(db: str, version: int, story: pd.Series) -> None:
    if st.button("← Back"):
        del st.query_params["story"]
        st.rerun()
    story_views.show_html(block("h1", story["label"]))
    articles = cached_story_desk(db, version, story["story_id"]).story_articles(story["story_id"])
    nameless = set(articles["outlet"]) == {UNKNOWN_OUTLET}
    st.caption(story_facts(story, nameless))
    story_views.show_html(block("p", story["keywords"] or "—", lead="Keywords:"))
    for summary in cached_story_blindspots(db, version, story["story_id"])["summary"]:
        st.warning(f"Blindspot: {inert(summary)}")
    if story["n_outlets"] < 2:
        st.info("These articles name no outlet, so there are no outlets to compare." if nameless
                else "Only one outlet covered this story, so there is nothing to compare yet.")
    else:
        story_views.story_tabs(cached_story_view(db, version, story["story_id"]),
                               lambda key: coverage_map(db, version, story["story_id"], key))
    st.subheader("Articles")
    # Columns no article here fills are left out (an untitled article's title is its text's opening).
    shown = articles.assign(url=articles["url"].map(safe_url), published_at=articles["published_at"].map(shown_time))
    columns = [column for column in ["published_at", "outlet", "country", "language", "title", "url", "wire_group"]
               if shown[column].notna().any() and not (column == "outlet" and nameless)]
    st.dataframe(
        shown[[*columns, "fit"]],
        hide_index=True, width="stretch",
        column_config={"url": st.column_config.LinkColumn("Link", display_text="open"), "wire_group": "Wire copy",
                       "fit": st.column_config.NumberColumn(
                           "Fit", format="%.2f", help="Mean similarity to the story's other articles (about 0 for "
                                                      "unrelated ones): the lowest are the likeliest misplaced.")},
    )


def story_facts(story: pd.Series, nameless: bool) -> str:
    """The story's counts, countries and span, each where the articles give it (`nameless`: they name no outlet)."""
    facts = [counted(story["n_articles"], "article", "articles")]
    if not nameless:
        facts.append(counted(story["n_outlets"], "outlet", "outlets"))
    if story["countries"]:
        facts.append(f"countries: {inert(story['countries'])}")
    if story["first_published"]:
        facts.append(f"{inert(story['first_published'])} → {inert(story['last_published'])}")
    return " · ".join(facts)


# The sidebar's views, each drawn from the store and the period chosen; a new view is one entry here.
VIEWS: dict[str, Callable[[Shown], None]] = {
    "Front page": front_page_view,
    "Coverage map": map_view,
    "Blindspots": blindspots_view,
    "Search": search_view,
}


def main() -> None:
    st.set_page_config(page_title="perspectives", page_icon="🗞️", layout="wide")
    db = db_path()
    try:
        version = store_version(desk.existing(db))
    except FileNotFoundError as exc:
        st.error(inert(exc))
        return
    st.sidebar.caption(f"Store: {inert(db)}")
    story_id = st.query_params.get("story")
    if story_id:
        matches = cached_story(str(db), version, story_id)
        if not matches.empty:
            if matches.iloc[0]["story_id"] != story_id:
                st.info("The story of this link has since been regrouped with others: this is the story that now "
                        "holds its articles.")
                st.query_params["story"] = matches.iloc[0]["story_id"]  # the link to keep
            story_page(str(db), version, matches.iloc[0])
            return
        st.warning("No story with the id in this link is in this store:")
        st.text(story_id)  # plain text: the link is anyone's to write
    shown = Shown(str(db), version, *sidebar_period(str(db), version))
    view = st.sidebar.radio("View", list(VIEWS), key="view")
    VIEWS[view](shown)


if __name__ == "__main__":  # `streamlit run` executes this file as __main__
    main()
