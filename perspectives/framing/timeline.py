"""Timeline: which outlet and country published first, and how coverage spread."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from perspectives.framing.sentences import records
from perspectives.text import present

TIMELINE_COLUMNS = ["story_id", "outlet", "country", "article_id", "published_at", "hours_after_first", "rank"]


def timeline_rows(story_articles, story_id: str) -> list[dict]:
    """Each outlet's first article in publication order, with hours after the story's first article."""
    dated = sorted(((_stamp(a.get("published_at")), a) for a in records(story_articles)),
                   key=lambda pair: (pair[0] is None, pair[0] or datetime.min.replace(tzinfo=UTC),
                                     pair[1]["id"]))
    first: dict[str, tuple] = {}
    for stamp, article in dated:
        first.setdefault(article["outlet"], (stamp, article))
    start = dated[0][0] if dated else None
    return [{"story_id": story_id, "outlet": outlet, "country": article.get("country"), "article_id": article["id"],
             "published_at": article.get("published_at"),
             "hours_after_first": round((stamp - start).total_seconds() / 3600, 2) if stamp else None, "rank": rank}
            for rank, (outlet, (stamp, article)) in enumerate(first.items(), start=1)]


def _stamp(value) -> datetime | None:
    """A UTC time; the store keeps ISO 8601, other frames may hold any format pandas reads (naive means UTC)."""
    if not present(value):
        return None
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError:
        parsed = pd.to_datetime(value, utc=True, errors="coerce")
        return None if pd.isna(parsed) else parsed.to_pydatetime()
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
