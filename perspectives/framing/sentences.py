"""A story's articles as one row per sentence: the unit every framing analysis reads."""

from __future__ import annotations

import pandas as pd

from perspectives.text import english_text, present, sentences

SENTENCE_COLUMNS = ["story_id", "outlet", "country", "article_id", "published_at", "position", "sentence"]


def sentence_table(story_articles: pd.DataFrame, story_id: str, min_chars: int = 25) -> pd.DataFrame:
    """Sentences of each article's English view (translation when present), with their position in the article.

    Fragments shorter than `min_chars` (datelines, bylines) are left out; positions still count them.
    """
    rows = []
    for article in story_articles.to_dict("records"):
        language = "en" if present(article.get("text_en")) else article.get("language")
        for position, sentence in enumerate(sentences(english_text(article), language)):
            if len(sentence) >= min_chars:
                rows.append({"story_id": story_id, "outlet": article["outlet"], "country": article.get("country"),
                             "article_id": article["id"], "published_at": article.get("published_at"),
                             "position": position, "sentence": sentence})
    return pd.DataFrame(rows, columns=SENTENCE_COLUMNS)
