"""Tone per article and toward each actor, from VADER (a lexicon and rule model for English news and social text).

Each sentence of the English view gets VADER's compound score in [-1, 1]. An article's tone is the mean over its
sentences; its tone toward an actor is the mean over the sentences that mention the actor, so praise of actor A in
one sentence does not colour actor B in another. Non-English articles are scored through their English translation
(`text_en`); without one they are scored as they are, which VADER reads poorly (the README says so).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from perspectives.framing.actors import mentions

TONE_COLUMNS = ["story_id", "outlet", "article_id", "actor", "tone", "sentence"]
WHOLE_ARTICLE = "(whole article)"


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentence_tone(sentence: str) -> float:
    return float(_analyzer().polarity_scores(sentence)["compound"])


def tone_table(sentences: pd.DataFrame, actors: list[str]) -> pd.DataFrame:
    """One row per article for its overall tone and one per (article, actor) mentioned; `sentence` is the most
    strongly toned sentence behind the score."""
    scored = sentences.assign(tone=[sentence_tone(s) for s in sentences["sentence"]])
    rows = []
    for article_id, article in scored.groupby("article_id", sort=False):
        rows.append(_row(article, WHOLE_ARTICLE))
        for actor in actors:
            about = article[[mentions(actor, s) for s in article["sentence"]]]
            if len(about):
                rows.append(_row(about, actor))
    return pd.DataFrame(rows, columns=TONE_COLUMNS)


def _row(scored: pd.DataFrame, actor: str) -> dict:
    strongest = scored.loc[scored["tone"].abs().idxmax()]
    return {"story_id": strongest["story_id"], "outlet": strongest["outlet"], "article_id": strongest["article_id"],
            "actor": actor, "tone": round(float(scored["tone"].mean()), 4), "sentence": strongest["sentence"]}
