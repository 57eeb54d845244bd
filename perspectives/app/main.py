"""The editors' app: today's stories and one story's Alternative Takes. Run with `perspectives app`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from perspectives.app import data, story_views
from perspectives.app.render import flag, safe_url
from perspectives.embed import Embedder
from perspectives.framing import StoryAnalysis
from perspectives.store import DEFAULT_DB


def db_path() -> Path:
    """`--db` after `--` on the streamlit command line, else PERSPECTIVES_DB, else the default file."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    known, _ = parser.parse_known_args(sys.argv[1:])
    return Path(known.db or os.environ.get("PERSPECTIVES_DB", DEFAULT_DB))


@st.cache_data(show_spinner=False)
def cached_corpus(db: str, mtime: float) -> data.Corpus:  # mtime: a rebuilt store invalidates the cache
    return data.load_corpus(db)


@st.cache_resource(show_spinner="Loading the embedding model…")
def cached_embedder() -> Embedder:
    return Embedder()


@st.cache_data(show_spinner="Comparing outlets…")
def cached_analysis(db: str, mtime: float, story_id: str) -> StoryAnalysis:
    return data.story_analysis(cached_corpus(db, mtime), story_id, cached_embedder(), db)


def store_version(db: Path) -> float:
    # SQLite in WAL mode writes to the -wal file first; either changing means new data.
    return max((p.stat().st_mtime for p in (db, Path(f"{db}-wal")) if p.exists()), default=0.0)


def sidebar_filters(stories: pd.DataFrame) -> pd.DataFrame:
    st.sidebar.header("Filter stories")
    countries = sorted({c for cs in stories["countries"].dropna() for c in cs.split(", ") if c})
    chosen = st.sidebar.multiselect("Countries", countries, format_func=lambda c: f"{flag(c)} {c}")
    dates = pd.to_datetime(stories["first_published"], utc=True, errors="coerce").dropna()
    start = end = None
    if len(dates):
        picked = st.sidebar.date_input("Published between", (dates.min().date(), dates.max().date()),
                                       min_value=dates.min().date(), max_value=dates.max().date())
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            start, end = picked
    min_outlets = st.sidebar.slider("At least this many outlets", 1, max(2, int(stories["n_outlets"].max())), 2)
    return data.filter_stories(stories, chosen, start, end, min_outlets)


def story_list(corpus: data.Corpus) -> None:
    st.title("Stories")
    shown = sidebar_filters(corpus.stories)
    st.caption(f"{len(shown)} of {len(corpus.stories)} stories · {len(corpus.articles)} articles")
    if shown.empty:
        st.info("No story matches these filters.")
        return
    table = shown.assign(countries=shown["countries"].fillna("").map(
        lambda cs: " ".join(f"{flag(c)}{c}" for c in cs.split(", ") if c)))
    st.dataframe(
        table[["label", "n_articles", "n_outlets", "countries", "first_published", "last_published", "keywords"]],
        hide_index=True, width="stretch",
        column_config={"label": "Story", "n_articles": "Articles", "n_outlets": "Outlets",
                       "countries": "Countries", "first_published": "First seen",
                       "last_published": "Last seen", "keywords": "Keywords"},
    )
    labels = dict(zip(shown["story_id"], shown["label"]))
    choice = st.selectbox("Open a story", list(labels), format_func=lambda sid: labels[sid], index=None,
                          placeholder="Choose a story…")
    if choice:
        st.query_params["story"] = choice
        st.rerun()


def story_page(corpus: data.Corpus, story: pd.Series, analysis: Callable[[], StoryAnalysis]) -> None:
    if st.button("← All stories"):
        del st.query_params["story"]
        st.rerun()
    st.title(story["label"])
    st.caption(f"{story['n_articles']} articles · {story['n_outlets']} outlets · countries: {story['countries']} · "
               f"{story['first_published'] or '?'} → {story['last_published'] or '?'}")
    st.markdown("**Keywords:** " + (story["keywords"] or "—"))
    articles = data.story_articles(corpus, story["story_id"])
    if story["n_outlets"] < 2:
        st.info("Only one outlet covered this story, so there is nothing to compare yet.")
    else:
        found = analysis()
        tabs = st.tabs(story_views.TABS)
        views = [story_views.takes_tab, story_views.claims_tab, story_views.wording_tab, story_views.sources_tab,
                 story_views.tone_tab, story_views.frames_tab, story_views.actors_tab,
                 lambda a: story_views.timeline_tab(a, articles)]
        for tab, view in zip(tabs, views):
            with tab:
                view(found)
    st.subheader("Articles")
    st.dataframe(
        articles.assign(url=articles["url"].map(safe_url))[["published_at", "outlet", "country", "language", "title", "url"]],
        hide_index=True, width="stretch",
        column_config={"url": st.column_config.LinkColumn("Link", display_text="open")},
    )


def main() -> None:
    st.set_page_config(page_title="perspectives", page_icon="🗞️", layout="wide")
    db = db_path()
    try:
        corpus = cached_corpus(str(db), store_version(db))
    except FileNotFoundError as exc:
        st.error(str(exc))
        return
    st.sidebar.caption(f"Store: `{db}`")
    story_id = st.query_params.get("story")
    matches = corpus.stories[corpus.stories["story_id"] == story_id] if story_id else corpus.stories.iloc[0:0]
    if story_id and matches.empty:
        st.warning(f"No story {story_id!r} in this store.")
    if matches.empty:
        story_list(corpus)
    else:
        story_page(corpus, matches.iloc[0], lambda: cached_analysis(str(db), store_version(db), story_id))


if __name__ == "__main__":  # `streamlit run` executes this file as __main__
    main()
