"""What the app reads from the store, as plain DataFrames (cached by the app, testable without it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from perspectives.framing import alternative_takes
from perspectives.store import Store


@dataclass
class Corpus:
    articles: pd.DataFrame
    stories: pd.DataFrame
    members: pd.DataFrame


def load_corpus(db: str | Path) -> Corpus:
    if not Path(db).is_file():
        raise FileNotFoundError(f"no store at {db}: build one with `perspectives run FILE --db {db}`")
    with Store(db) as store:
        return Corpus(store.articles(), store.stories(), store.members())


def filter_stories(stories: pd.DataFrame, countries: list[str] | None = None, start=None, end=None,
                   min_outlets: int = 1) -> pd.DataFrame:
    """Stories with at least `min_outlets` outlets, touching any of `countries`, overlapping [start, end]."""
    keep = stories["n_outlets"] >= min_outlets
    if countries:
        wanted = set(countries)
        keep &= stories["countries"].fillna("").map(lambda c: bool(wanted & set(c.split(", "))))
    first = pd.to_datetime(stories["first_published"], utc=True, errors="coerce")
    last = pd.to_datetime(stories["last_published"], utc=True, errors="coerce")
    if start is not None:
        keep &= last.isna() | (last.dt.date >= start)
    if end is not None:
        keep &= first.isna() | (first.dt.date <= end)
    return stories[keep]


def story_articles(corpus: Corpus, story_id: str) -> pd.DataFrame:
    ids = corpus.members.loc[corpus.members["story_id"] == story_id, "article_id"]
    return corpus.articles[corpus.articles["id"].isin(set(ids))].sort_values(["published_at", "id"])


def story_takes(corpus: Corpus, story_id: str) -> pd.DataFrame:
    return alternative_takes(corpus.articles, corpus.members, story_ids=[story_id])
