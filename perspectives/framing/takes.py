"""Alternative Takes: one row per outlet of a story, with its headline, lede and distinctive wording."""

from __future__ import annotations

import pandas as pd
from tqdm.auto import tqdm

from perspectives.framing.fightin_words import FightinWords, TermCounts
from perspectives.framing.sentences import records
from perspectives.stories.copies import repeated_in_outlet
from perspectives.text import (
    document,
    has_english,
    headline_and_body,
    lede,
    sentences,
    split_headline,
    view_language,
    without_nan,
)

TAKE_COLUMNS = [
    "story_id", "outlet", "country", "language", "headline", "lede", "distinctive_terms",
    "headline_en", "lede_en", "article_ids", "published_at", "wire_note", "also_ran",
]
TERM_COLUMNS = ["story_id", "outlet", "term", "z", "sentence"]


def multi_outlet_stories(articles: pd.DataFrame, members: pd.DataFrame, story_ids=None):
    """(story_id, that story's articles as dicts in time order) for each story covered by two or more outlets; an
    outlet's copies of one of its articles are left out (`repeated_in_outlet`), so that its sentences, quotes and
    words count once."""
    joined = members.merge(articles, left_on="article_id", right_on="id")
    if story_ids is not None:
        joined = joined[joined["story_id"].isin(set(story_ids))]
    by_story: dict[str, list[dict]] = {}
    for article in without_nan(joined).to_dict("records"):
        by_story.setdefault(article["story_id"], []).append(article)
    for story_id in sorted(by_story):
        story = by_story[story_id]
        if len({a["outlet"] for a in story}) >= 2:
            story.sort(key=lambda a: (a["published_at"] is None, a["published_at"] or "", a["id"]))
            yield story_id, [a for a, repeated in zip(story, repeated_in_outlet(story)) if not repeated]


def story_takes(story_id: str, story, counts: TermCounts, scorer: FightinWords,
                n_terms: int = 8, prior=None) -> tuple[list[dict], list[dict]]:
    """Takes and distinctive terms (each with the sentence it comes from) for one story's articles (a frame or rows,
    in time order); `counts` is `scorer.count_terms` of the corpus' documents keyed by article id, `prior` the ids
    of the documents that make the background (default all of `counts`)."""
    articles = records(story)
    voices = _voices(articles)
    fitted = FightinWords(**scorer.get_params()).fit_documents(counts, [a["id"] for a in articles], voices, prior)
    by_voice: dict[str, list[dict]] = {}
    for voice, article in zip(voices, articles):
        by_voice.setdefault(voice, []).append(article)
    takes, terms = [], []
    for voice, items in by_voice.items():
        top = fitted.top_terms(voice, n_terms, language=view_language(items[0]))
        outlet = items[0]["outlet"]
        takes.append(_take(story_id, outlet, items, [t for t, _ in top]))
        # The evidence is the first of the voice's sentences in which the term was counted.
        voice_sentences = ((s, view_language(a)) for a in items
                           for headline, body in [headline_and_body(a)]
                           for s in [headline, *sentences(body, view_language(a))])
        evidence = fitted.first_use([term for term, _ in top], voice_sentences)
        terms += [{"story_id": story_id, "outlet": outlet, "term": term, "z": round(z, 3),
                   "sentence": evidence.get(term)} for term, z in top]
    return takes, terms


def corpus_counts(articles: pd.DataFrame, scorer: FightinWords) -> TermCounts:
    """Every article's document (headline and body, English view) counted once, keyed by article id."""
    return scorer.count_terms(((document(a), view_language(a)) for a in articles.to_dict("records")),
                              keys=articles["id"])


def _voices(articles: list[dict]) -> list[str]:
    """Who speaks in each article: its outlet, or its wire group when the outlet's first article is a wire copy,
    so N outlets running one agency text make one take, not N identical ones."""
    voice: dict[str, str] = {}
    for article in articles:
        if article["outlet"] not in voice:
            group = article.get("wire_group")
            voice[article["outlet"]] = group if isinstance(group, str) else article["outlet"]
    return [voice[a["outlet"]] for a in articles]


def alternative_takes(articles: pd.DataFrame, members: pd.DataFrame, n_terms: int = 8,
                      scorer: FightinWords | None = None, story_ids=None, progress: bool = False) -> pd.DataFrame:
    """Takes for every story with at least two outlets (or only for `story_ids`).

    `distinctive_terms` is a list of the outlet's top Fightin' Words terms within the story, against the other
    outlets of the same story, with the whole corpus as the prior.
    """
    scorer = scorer or FightinWords()
    counts = corpus_counts(articles, scorer)
    stories = list(multi_outlet_stories(articles, members, story_ids))
    rows = []
    for story_id, story in tqdm(stories, desc="Comparing outlets", unit="story", disable=not progress):
        rows += story_takes(story_id, story, counts, scorer, n_terms)[0]
    return without_nan(pd.DataFrame(rows, columns=TAKE_COLUMNS))


def _take(story_id: str, outlet: str, items: list[dict], terms: list[str]) -> dict:
    first = items[0]  # the earliest article speaks for the outlet (or for the wire copies)
    outlets = list(dict.fromkeys(a["outlet"] for a in items))
    english = has_english(first)
    headline, body = split_headline(first["title"], first["text"])
    headline_en, body_en = headline_and_body(first)
    return {
        "story_id": story_id,
        "outlet": outlet,
        "country": first.get("country"),
        "language": first.get("language"),
        "headline": headline,
        "lede": lede(body, first.get("language")),
        "distinctive_terms": terms,
        "headline_en": headline_en if english else None,
        "lede_en": lede(body_en, "en") if english else None,
        "article_ids": [a["id"] for a in items],
        "published_at": first.get("published_at"),
        "wire_note": f"{len(outlets)} outlets ran this wire text" if len(outlets) > 1 else None,
        "also_ran": outlets[1:],
    }
