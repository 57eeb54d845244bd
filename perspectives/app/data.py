"""What the app reads from the store, as plain DataFrames (cached by the app, testable without it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from perspectives.framing import FramingAnalyser, StoryAnalysis
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


def story_analysis(corpus: Corpus, story_id: str, embedder, db: str | Path) -> StoryAnalysis:
    """All framing tables of one story; sentence vectors are cached in the store."""
    with Store(db) as store:
        return FramingAnalyser(embedder, store=store).analyse_story(corpus.articles, corpus.members, story_id)


def claim_grid(analysis: StoryAnalysis, limit: int = 40) -> pd.DataFrame:
    """Claims x outlets as rows for a clickable matrix: whether the outlet states the claim, with its sentence."""
    matrix = analysis.claim_matrix
    carriers = (matrix > 0).sum(axis=1).sort_values(ascending=False, kind="stable")
    shown = carriers.index[:limit]
    sentences = analysis.sentences.drop_duplicates(["claim", "outlet"]).set_index(["claim", "outlet"])["sentence"]
    first = analysis.sentences.drop_duplicates("claim").set_index("claim")["sentence"]
    story = analysis.story_id
    rows = []
    for claim in shown:
        label = f"c{claim:03d} " + (first[claim][:70] + ("…" if len(first[claim]) > 70 else ""))
        for outlet in matrix.columns:
            states = matrix.loc[claim, outlet] > 0
            rows.append({"claim_id": f"{story}-c{claim:03d}", "claim": label, "outlet": outlet,
                         "carriers": int(carriers[claim]),
                         "status": ("states it" if states else "omits it") if carriers[claim] > 1
                         else ("only this outlet" if states else "—"),
                         "sentence": sentences.get((claim, outlet)) if states else first[claim]})
    return pd.DataFrame(rows)
