"""Timeline: which outlet and country published first, and how coverage spread."""

from __future__ import annotations

import pandas as pd

TIMELINE_COLUMNS = ["story_id", "outlet", "country", "article_id", "published_at", "hours_after_first", "rank"]


def timeline_table(story_articles: pd.DataFrame, story_id: str) -> pd.DataFrame:
    """Each outlet's first article in publication order, with hours after the story's first article."""
    dated = story_articles.assign(stamp=pd.to_datetime(story_articles["published_at"], utc=True, errors="coerce"))
    first = dated.sort_values(["stamp", "id"], na_position="last").drop_duplicates("outlet")
    start = first["stamp"].min()
    hours = ((first["stamp"] - start).dt.total_seconds() / 3600).round(2)
    return pd.DataFrame({
        "story_id": story_id, "outlet": first["outlet"], "country": first["country"], "article_id": first["id"],
        "published_at": first["published_at"], "hours_after_first": hours, "rank": range(1, len(first) + 1),
    }, columns=TIMELINE_COLUMNS).reset_index(drop=True)
