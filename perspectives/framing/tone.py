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

from perspectives.framing.actors import mentioned
from perspectives.framing.sentences import records

TONE_COLUMNS = ["story_id", "outlet", "article_id", "actor", "tone", "sentence"]
WHOLE_ARTICLE = "(whole article)"


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=65536)  # wire copies repeat sentences word for word
def sentence_tone(sentence: str) -> float:
    return float(_analyzer().polarity_scores(sentence)["compound"])


def tone_table(sentences, actors: list[str]) -> pd.DataFrame:
    """One row per article for its overall tone and one per (article, actor) mentioned; `sentence` is the most
    strongly toned sentence behind the score. `sentences`: `sentence_table`'s frame or rows."""
    return pd.DataFrame(tone_rows(sentences, actors), columns=TONE_COLUMNS)


def tone_rows(sentences, actors: list[str]) -> list[dict]:
    by_article: dict[str, list[dict]] = {}
    for sentence in records(sentences):
        scored = {**sentence, "tone": sentence_tone(sentence["sentence"])}
        by_article.setdefault(sentence["article_id"], []).append(scored)
    rows = []
    for scored in by_article.values():
        rows.append(_row(scored, WHOLE_ARTICLE))
        named = [mentioned(actors, s["sentence"]) for s in scored]
        for actor in actors:
            about = [s for s, found in zip(scored, named) if actor in found]
            if about:
                rows.append(_row(about, actor))
    return rows


def _row(scored: list[dict], actor: str) -> dict:
    strongest = max(scored, key=lambda s: abs(s["tone"]))
    mean = sum(s["tone"] for s in scored) / len(scored)
    return {"story_id": strongest["story_id"], "outlet": strongest["outlet"], "article_id": strongest["article_id"],
            "actor": actor, "tone": round(mean, 4), "sentence": strongest["sentence"]}
