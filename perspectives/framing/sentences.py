"""A story's articles as one row per sentence: the unit every framing analysis reads."""

from __future__ import annotations

import pandas as pd

from perspectives.text import english_text, present, sentences

SENTENCE_COLUMNS = ["story_id", "outlet", "country", "article_id", "published_at", "position", "sentence"]


def records(table) -> list[dict]:
    """Rows as dicts, from a DataFrame or an iterable of dicts: the analyses loop over rows, and converting a story's
    small frame once costs less than pandas' per-call overhead in every step."""
    return table.to_dict("records") if isinstance(table, pd.DataFrame) else list(table)


def sentence_rows(story_articles, story_id: str, min_chars: int = 25) -> list[dict]:
    """Sentences of each article's English view (translation when present), with their position in the article.

    Fragments shorter than `min_chars` (datelines, bylines) are left out; positions still count them.
    """
    rows = []
    for article in records(story_articles):
        language = "en" if present(article.get("text_en")) else article.get("language")
        for position, sentence in enumerate(sentences(english_text(article), language)):
            if len(sentence) >= min_chars:
                rows.append({"story_id": story_id, "outlet": article["outlet"], "country": article.get("country"),
                             "article_id": article["id"], "published_at": article.get("published_at"),
                             "position": position, "sentence": sentence})
    return rows


def sentence_table(story_articles, story_id: str, min_chars: int = 25) -> pd.DataFrame:
    """`sentence_rows` as a DataFrame."""
    return pd.DataFrame(sentence_rows(story_articles, story_id, min_chars), columns=SENTENCE_COLUMNS)
