"""Stage 5: Alternative Takes: one row per outlet of a story, with its headline, lede and distinctive wording."""

from __future__ import annotations

import pandas as pd
from tqdm.auto import tqdm

from perspectives.framing.fightin_words import FightinWords
from perspectives.ingest.files import without_nan
from perspectives.text import document, english_text, english_title, lede, present

TAKE_COLUMNS = [
    "story_id", "outlet", "country", "language", "headline", "lede", "distinctive_terms",
    "headline_en", "lede_en", "article_ids", "published_at",
]


def alternative_takes(articles: pd.DataFrame, members: pd.DataFrame, n_terms: int = 8,
                      scorer: FightinWords | None = None, story_ids=None, progress: bool = False) -> pd.DataFrame:
    """Takes for every story with at least two outlets (or only for `story_ids`).

    `distinctive_terms` is a list of the outlet's top Fightin' Words terms within the story, against the other
    outlets of the same story, with the whole corpus as the prior.
    """
    scorer = scorer or FightinWords()
    joined = members.merge(articles, left_on="article_id", right_on="id")
    if story_ids is not None:
        joined = joined[joined["story_id"].isin(set(story_ids))]
    background = scorer.background_counts(document(a) for a in articles.to_dict("records"))
    outlets = joined.groupby("story_id")["outlet"].nunique()
    joined = joined[joined["story_id"].isin(outlets.index[outlets >= 2])]
    rows = []
    stories = joined.groupby("story_id", sort=True)
    for sid, story in tqdm(stories, total=stories.ngroups, desc="Comparing outlets", unit="story",
                           disable=not progress):
        story = story.sort_values(["published_at", "id"], na_position="last")
        fitted = FightinWords(**scorer.get_params()).fit(
            [document(a) for a in story.to_dict("records")], story["outlet"], background=background
        )
        for outlet, items in story.groupby("outlet", sort=False):
            rows.append(_take(sid, outlet, items, [t for t, _ in fitted.top_terms(outlet, n_terms)]))
    return without_nan(pd.DataFrame(rows, columns=TAKE_COLUMNS))


def _take(story_id: str, outlet: str, items: pd.DataFrame, terms: list[str]) -> dict:
    first = items.iloc[0].to_dict()  # the outlet's earliest article speaks for it
    has_english = present(first.get("title_en")) or present(first.get("text_en"))
    return {
        "story_id": story_id,
        "outlet": outlet,
        "country": first.get("country"),
        "language": first.get("language"),
        "headline": first["title"],
        "lede": lede(first["text"], first.get("language")),
        "distinctive_terms": terms,
        "headline_en": english_title(first) if has_english else None,
        "lede_en": lede(english_text(first), "en") if has_english else None,
        "article_ids": list(items["id"]),
        "published_at": first.get("published_at"),
    }
