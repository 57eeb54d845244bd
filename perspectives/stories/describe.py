"""Name stories: a stable id, a representative headline and c-TF-IDF keywords."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from perspectives.store import STORY_COLUMNS
from perspectives.stories.evidence import centre_by_language
from perspectives.stories.refine import member_fit
from perspectives.text import (
    STOP_WORDS,
    clause_terms,
    distinct_terms,
    document,
    embedded_language,
    headline_and_body,
    lede,
    pieces,
    present,
    short_id,
    view_language,
    without_nan,
)

_STOP_WORDS = frozenset(STOP_WORDS)


def story_id(anchor_article_id: str) -> str:
    """A story is named after its earliest article, so the id survives re-runs on the same data."""
    return short_id("s", anchor_article_id)


def ctfidf_keywords(terms_per_story: list[list[str]], n: int = 6) -> list[list[str]]:
    """Top terms per story by class-based TF-IDF (each story's terms, `story_terms` of its articles, counted as
    one document)."""
    if not terms_per_story:
        return []
    vectorizer = CountVectorizer(analyzer=list)
    try:
        counts = vectorizer.fit_transform(terms_per_story).astype(np.float64)
    except ValueError:  # nothing but stop words
        return [[] for _ in terms_per_story]
    terms = vectorizer.get_feature_names_out()
    tf = counts.multiply(1.0 / np.maximum(counts.sum(axis=1), 1)).tocsr()
    term_totals = np.asarray(counts.sum(axis=0)).ravel()
    average_words = counts.sum() / counts.shape[0]
    weights = tf.multiply(np.log(1.0 + average_words / term_totals)).tocsr()
    weights.sort_indices()
    keywords = []
    for row in range(weights.shape[0]):
        span = slice(weights.indptr[row], weights.indptr[row + 1])
        columns, scores = weights.indices[span], weights.data[span]
        # Ties break on the term itself (columns are in alphabetical order) so keywords are deterministic.
        order = columns[np.lexsort((columns, -scores))]
        keywords.append(distinct_terms([terms[j] for j in order], n))
    return keywords


def describe_stories(articles: pd.DataFrame, labels: np.ndarray,
                     vectors: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the stories table and the article -> story membership from cluster labels."""
    records = articles.to_dict("records")
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    keywords = ctfidf_keywords([[term for i in idx for term in story_terms(records[i])] for idx in groups.values()])
    # Each member's fit, on the vectors centred per language as the grouping compares them (about 0 for unrelated
    # articles): its lowest values flag the likeliest misplaced (benchmarks/GROUPING.md, "How well each article fits
    # its story").
    fits = member_fit(centre_by_language(vectors, embedded_language(articles)), labels) if len(records) else np.empty(0)
    rows: list[dict] = []
    members: list[dict] = []
    for idx, words in zip(groups.values(), keywords):
        own = [records[i] for i in idx]
        anchor = min(own, key=lambda a: (_sort_time(a), a["id"]))
        sid = story_id(anchor["id"])
        dates = [a["published_at"] for a in own if present(a.get("published_at"))]
        rows.append({
            "story_id": sid,
            "label": _headline(records[_medoid(vectors, idx, [i for i in idx if view_language(records[i]) == "en"])]),
            "keywords": ", ".join(words),
            "n_articles": len(idx),
            "n_outlets": len({a["outlet"] for a in own}),
            "countries": ", ".join(sorted({a["country"] for a in own if present(a.get("country"))})),
            "first_published": min(dates, default=None),
            "last_published": max(dates, default=None),
        })
        members.extend({"article_id": records[i]["id"], "story_id": sid, "fit": fits[i]} for i in idx)
    stories = without_nan(pd.DataFrame(rows, columns=STORY_COLUMNS))
    # wire_group is filled by the wire detector (perspectives.pipeline.group_stories); None until then.
    return stories, pd.DataFrame(members, columns=["article_id", "story_id", "fit"]).assign(wire_group=None)


def story_terms(record) -> list[str]:
    """An article's candidate keywords: words of three letters or more and their pairs, stop words of its language
    left out, in the language its document is read in."""
    return clause_terms(document(record), (1, 2), _STOP_WORDS, min_length=3, language=view_language(record))


# Characters of an untitled story's label, taken from its text's first sentence: a headline's length.
LABEL_CHARS = 120


def _headline(record) -> str:
    """The article's (English) headline (`headline_and_body`); without one, its text's first sentence, cut to
    LABEL_CHARS at a space."""
    title, body = headline_and_body(record)
    if title:
        return title
    sentence = lede(body, "en", n=1).strip()
    label = next(pieces(sentence, LABEL_CHARS))
    return label if label == sentence else f"{label}…"


def _sort_time(record) -> str:
    return record.get("published_at") or "9999"


def _medoid(vectors: np.ndarray, idx: list[int], preferred: Sequence[int] = ()) -> int:
    """The member most similar on average to the others, among the `preferred` (those read in English: the report
    and the app speak it) where the story has any: its headline stands for the story. The sum of a member's
    similarities is its similarity to the members' sum, so no members x members matrix is built."""
    pool = list(preferred) or idx
    if len(idx) <= 2:
        return pool[0]
    similarity = vectors[pool] @ vectors[idx].sum(axis=0)
    return pool[int(np.argmax(similarity))]
