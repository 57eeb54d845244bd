"""Distinctive wording: weighted log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008)."""

from __future__ import annotations

import re
from functools import partial

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import CountVectorizer

from perspectives.text import STOP_WORDS, distinct_terms


_CLAUSE_BREAK = re.compile(r"[.,;:!?\"“”«»„()\[\]\n]+")
_WORD = re.compile(r"(?u)\b[^\W\d_]{2,}\b")


def clause_ngrams(text: str, ngram_range: tuple[int, int], stop_words: frozenset) -> list[str]:
    """Word n-grams that stay inside one clause, so no term spans a sentence or comma break."""
    grams = []
    for clause in _CLAUSE_BREAK.split(text.lower()):
        words = [w for w in _WORD.findall(clause) if w not in stop_words]
        for n in range(ngram_range[0], ngram_range[1] + 1):
            grams += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return grams


class FightinWords(BaseEstimator):
    """Score how much each group (outlet) favours each term over the other groups.

    `fit(texts, groups, background=None)` learns `z_scores_`, a DataFrame of groups x terms: the log-odds ratio of
    a term in one group versus all other groups, divided by its estimated standard deviation. The prior is
    `prior_size` pseudo-counts spread over terms in proportion to their frequency in `background` (or in `texts`),
    which shrinks rare terms towards zero instead of letting one mention dominate.
    """

    def __init__(self, prior_size: float = 100.0, ngram_range: tuple[int, int] = (1, 2),
                 stop_words: list[str] | None = STOP_WORDS, min_count: int = 1):
        self.prior_size = prior_size
        self.ngram_range = ngram_range
        self.stop_words = stop_words
        self.min_count = min_count

    def make_vectorizer(self) -> CountVectorizer:
        analyzer = partial(clause_ngrams, ngram_range=self.ngram_range, stop_words=frozenset(self.stop_words or ()))
        return CountVectorizer(analyzer=analyzer)

    def background_counts(self, texts) -> pd.Series:
        """Term counts of a background corpus, computed once and passed to `fit` for many stories."""
        vectorizer = self.make_vectorizer()
        counts = vectorizer.fit_transform(list(texts))
        return pd.Series(np.asarray(counts.sum(axis=0)).ravel(), index=vectorizer.get_feature_names_out())

    def fit(self, texts, groups, background: pd.Series | None = None):
        """Learn z-scores; `background` is term counts from `background_counts` (default: the texts themselves)."""
        texts, groups = list(texts), list(groups)
        self.vectorizer_ = self.make_vectorizer()
        doc_counts = self.vectorizer_.fit_transform(texts)
        terms = self.vectorizer_.get_feature_names_out()
        if background is None:
            prior_counts = np.asarray(doc_counts.sum(axis=0)).ravel().astype(np.float64)
        else:
            prior_counts = background.reindex(terms, fill_value=0).to_numpy(dtype=np.float64)
        # The small floor keeps terms unseen in the background from getting a zero pseudo-count.
        alpha = self.prior_size * (prior_counts + 0.01) / (prior_counts + 0.01).sum()
        alpha0 = alpha.sum()

        self.groups_ = sorted(set(groups))
        group_counts = np.vstack([
            np.asarray(doc_counts[[i for i, g in enumerate(groups) if g == group]].sum(axis=0)).ravel()
            for group in self.groups_
        ]).astype(np.float64)
        totals = group_counts.sum(axis=0)

        z = np.zeros_like(group_counts)
        for row, y_i in enumerate(group_counts):
            y_j = totals - y_i
            n_i, n_j = y_i.sum(), y_j.sum()
            log_odds_i = np.log((y_i + alpha) / (n_i + alpha0 - y_i - alpha))
            log_odds_j = np.log((y_j + alpha) / (n_j + alpha0 - y_j - alpha))
            variance = 1.0 / (y_i + alpha) + 1.0 / (y_j + alpha)
            z[row] = (log_odds_i - log_odds_j) / np.sqrt(variance)
        self.counts_ = pd.DataFrame(group_counts, index=self.groups_, columns=terms)
        self.z_scores_ = pd.DataFrame(z, index=self.groups_, columns=terms)
        return self

    def top_terms(self, group, n: int = 8, min_z: float = 0.0) -> list[tuple[str, float]]:
        """The group's most distinctive terms it actually uses, highest z first, without overlapping n-grams."""
        z = self.z_scores_.loc[group]
        used = self.counts_.loc[group] >= self.min_count
        candidates = z[used & (z > min_z)]
        # At (near-)equal z the longer n-gram wins: "air truce" says more than "air".
        ranked = sorted(candidates.items(), key=lambda item: (-round(item[1], 6), -item[0].count(" "), item[0]))
        kept = set(distinct_terms([term for term, _ in ranked], n))
        return [(term, float(score)) for term, score in ranked if term in kept]
