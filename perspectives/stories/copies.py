"""Copies of one article: one text under several ids (an article's section pages and its mobile and print versions,
an updated version stored beside the first, a wire text run word for word by several outlets). Grouped as they come,
k copies are a cluster of their own that HDBSCAN's excess of mass prefers to the story around them, and the story
comes out in pieces; `StoryClusterer` takes each article's copies as one point and gives them its story.

Copies are read on one calendar day (or among undated articles) only: one week's "Jobless claims fall" is not the
next week's. Rows of one vector are copies; so are two articles most of whose sentences (headline included) are
word for word the other's, as an update that rewrote the headline and added a paragraph is (benchmarks/GROUPING.md,
"One article at several links").
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from itertools import chain, combinations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from perspectives.stories.neighbours import day_numbers
from perspectives.text import present, sentences, split_headline

# Two articles are copies where at least this share of the shorter's sentences is in the other, and at least
# MIN_SHARED_SENTENCES of them: one shared sentence is a quote or a dateline, not a copy.
MIN_SHARED = 0.5
MIN_SHARED_SENTENCES = 2
# A sentence matched on has this many words or more ("Advertisement." names no article) and is in at most this many
# articles of its day (a site's furniture, a standard line of every report): it bounds the pairs compared.
MIN_SENTENCE_WORDS = 3
MAX_SENTENCE_ARTICLES = 20
# An article's opening tells whether it is a copy: its headline and first sentences, at most this many (the pairs
# counted stay within articles x OPENING_SENTENCES x MAX_SENTENCE_ARTICLES, whatever the texts).
OPENING_SENTENCES = 30


def copies(vectors: np.ndarray, days: np.ndarray, articles: pd.DataFrame | None = None) -> np.ndarray:
    """For each row, the number of its copies' group, groups numbered by their first row (a row without copies is a
    group of its own): rows of one vector and, given the `articles` (one per row), articles sharing most of their
    sentences (see MIN_SHARED), each on one calendar day (`days`: days since 1970, NaN where undated)."""
    day_keys = calendar_days(days)
    digests = [hashlib.blake2b(row.tobytes() + day.tobytes(), digest_size=16).digest()
               for row, day in zip(np.ascontiguousarray(vectors), day_keys)]
    same_vector, _ = pd.factorize(pd.Series(digests, dtype=object))
    first_of = np.unique(same_vector, return_index=True)[1]
    pairs = [(int(first_of[code]), row) for row, code in enumerate(same_vector) if first_of[code] != row]
    if articles is not None:
        pairs += near_copies(articles.to_dict("records"), day_keys)
    return same_vector if not pairs else _groups(pairs, len(vectors))


def repeated_in_outlet(records: list[dict]) -> list[bool]:
    """For articles as dicts (`outlet, title, text, published_at`, in time order): whether each is a copy of an
    earlier article of its own outlet (one text at two links, an update beside its first version), read as
    `copies` reads them: the framing counts such an article once, as its first."""
    day_keys = calendar_days(day_numbers([r.get("published_at") for r in records], len(records)))
    pairs = [(first, second) for first, second in near_copies(records, day_keys)
             if records[first]["outlet"] == records[second]["outlet"]]
    if not pairs:
        return [False] * len(records)
    group = _groups(pairs, len(records))
    first_row = np.unique(group, return_index=True)[1]
    return (first_row[group] < np.arange(len(records))).tolist()


def _groups(pairs: list[tuple[int, int]], n: int) -> np.ndarray:
    """The connected components of `pairs` among `n` rows, numbered by their first row."""
    rows, cols = np.array(pairs).T
    _, component = connected_components(coo_matrix((np.ones(len(pairs)), (rows, cols)), shape=(n, n)),
                                        directed=False)
    return pd.factorize(component)[0]


def calendar_days(days: np.ndarray) -> np.ndarray:
    """Each row's calendar day (`days`: days since 1970), one key for every undated row."""
    return np.where(np.isnan(days), np.inf, np.floor(days))


def near_copies(records: list[dict], day_keys: np.ndarray) -> list[tuple[int, int]]:
    """The pairs of `records` (articles as dicts) of one day key whose sentences make them copies (MIN_SHARED,
    MIN_SHARED_SENTENCES)."""
    own = [_sentence_keys(article) for article in records]
    holders: dict[tuple[float, int], list[int]] = defaultdict(list)
    for row, (keys, day) in enumerate(zip(own, day_keys)):
        for key in keys:
            holders[(day, key)].append(row)
    shared: Counter = Counter()
    for rows in holders.values():
        if 1 < len(rows) <= MAX_SENTENCE_ARTICLES:
            shared.update(combinations(rows, 2))
    return [(first, second) for (first, second), count in shared.items()
            if count >= max(MIN_SHARED_SENTENCES, MIN_SHARED * min(len(own[first]), len(own[second])))]


def _sentence_keys(article: dict) -> set[int]:
    """The hashes of an article's opening units (OPENING_SENTENCES: its headline, then each line of its body and each
    sentence within a line, as site boilerplate is read) of MIN_SENTENCE_WORDS words or more, case and spacing aside
    (every character else counts: "Report 1" is not "Report 2"). Lines are read whole too: a sentence splitter reads
    text tokenised into one sentence a line ("said .") as a few long sentences, which differ when a line goes."""
    headline, body = split_headline(*(article[key] if present(article[key]) else "" for key in ("title", "text")))
    language = article.get("language") or "en"
    units = chain([headline], (unit for line in body.split("\n") for unit in [line, *sentences(line, language)]))
    found: set[int] = set()
    for unit in units:  # read lazily: a long body is split no further than its opening
        spelt = unit.casefold().split()
        if len(spelt) >= MIN_SENTENCE_WORDS:
            found.add(hash(" ".join(spelt)))
            if len(found) == OPENING_SENTENCES:
                break
    return found
