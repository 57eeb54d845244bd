"""Alternative Takes: one row per outlet of a story, with its headline, lede and distinctive wording."""

from __future__ import annotations

import re

import pandas as pd
from tqdm.auto import tqdm

from perspectives.framing.fightin_words import FightinWords
from perspectives.ingest.files import without_nan
from perspectives.text import document, english_text, english_title, lede, present, sentences

TAKE_COLUMNS = [
    "story_id", "outlet", "country", "language", "headline", "lede", "distinctive_terms",
    "headline_en", "lede_en", "article_ids", "published_at", "wire_note", "also_ran",
]
TERM_COLUMNS = ["story_id", "outlet", "term", "z", "sentence"]


def multi_outlet_stories(articles: pd.DataFrame, members: pd.DataFrame, story_ids=None):
    """(story_id, that story's articles in time order) for each story covered by two or more outlets."""
    joined = members.merge(articles, left_on="article_id", right_on="id")
    if story_ids is not None:
        joined = joined[joined["story_id"].isin(set(story_ids))]
    outlets = joined.groupby("story_id")["outlet"].nunique()
    joined = joined[joined["story_id"].isin(outlets.index[outlets >= 2])]
    for story_id, story in joined.groupby("story_id", sort=True):
        yield story_id, story.sort_values(["published_at", "id"], na_position="last")


def story_takes(story_id: str, story: pd.DataFrame, background: pd.Series, scorer: FightinWords,
                n_terms: int = 8) -> tuple[list[dict], list[dict]]:
    """Takes and distinctive terms (each with the sentence it comes from) for one story's articles."""
    voices = _voices(story)
    fitted = FightinWords(**scorer.get_params()).fit(
        [document(a) for a in story.to_dict("records")], voices, background=background
    )
    takes, terms = [], []
    for voice, items in story.groupby(voices, sort=False):
        top = fitted.top_terms(voice, n_terms)
        outlet = items["outlet"].iloc[0]
        takes.append(_take(story_id, outlet, items, [t for t, _ in top]))
        own_sentences = [s for a in items.to_dict("records")
                         for s in [english_title(a), *sentences(english_text(a), "en")]]
        terms += [{"story_id": story_id, "outlet": outlet, "term": term, "z": round(z, 3),
                   "sentence": _evidence(term, own_sentences)} for term, z in top]
    return takes, terms


def _voices(story: pd.DataFrame) -> pd.Series:
    """Who speaks in each article: its outlet, or its wire group when the outlet's first article is a wire copy,
    so N outlets running one agency text make one take, not N identical ones."""
    wire = story["wire_group"] if "wire_group" in story else pd.Series(None, index=story.index, dtype=object)
    first_copy = story.assign(wire=wire).drop_duplicates("outlet").set_index("outlet")["wire"]
    return story["outlet"].map(lambda o: first_copy[o] if isinstance(first_copy[o], str) else o)


def alternative_takes(articles: pd.DataFrame, members: pd.DataFrame, n_terms: int = 8,
                      scorer: FightinWords | None = None, story_ids=None, progress: bool = False) -> pd.DataFrame:
    """Takes for every story with at least two outlets (or only for `story_ids`).

    `distinctive_terms` is a list of the outlet's top Fightin' Words terms within the story, against the other
    outlets of the same story, with the whole corpus as the prior.
    """
    scorer = scorer or FightinWords()
    background = scorer.background_counts(document(a) for a in articles.to_dict("records"))
    stories = list(multi_outlet_stories(articles, members, story_ids))
    rows = []
    for story_id, story in tqdm(stories, desc="Comparing outlets", unit="story", disable=not progress):
        rows += story_takes(story_id, story, background, scorer, n_terms)[0]
    return without_nan(pd.DataFrame(rows, columns=TAKE_COLUMNS))


def _evidence(term: str, texts: list[str]) -> str | None:
    # Stop words were dropped inside terms ("hours talks" stands for "hours of talks"): allow a few between.
    pattern = re.compile(r"\b" + r"\W+(?:\w+\W+){0,3}?".join(map(re.escape, term.split())) + r"\b", re.IGNORECASE)
    return next((s for s in texts if pattern.search(s)), None)


def _take(story_id: str, outlet: str, items: pd.DataFrame, terms: list[str]) -> dict:
    first = items.iloc[0].to_dict()  # the earliest article speaks for the outlet (or for the wire copies)
    outlets = list(dict.fromkeys(items["outlet"]))
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
        "wire_note": f"{len(outlets)} outlets ran this wire text" if len(outlets) > 1 else None,
        "also_ran": outlets[1:],
    }
