"""Distinctive wording: weighted log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008).

An outlet's top terms are ranked by z-score times `framing_weight`, so that labels, loaded words and names come
before everyday words ("hours", "come", "great") that an outlet merely happens to use more often.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import CountVectorizer
from wordfreq import zipf_frequency

from perspectives.text import STOP_WORDS, chinese_segmenter, clause_terms, distinct_terms

# Penn tags of nouns (names included) and adjectives: the parts of speech that label and qualify.
_CONTENT_TAGS = ("NN", "JJ")
_EVERYDAY_ZIPF, _RARE_ZIPF = 8.0, 3.0  # wordfreq's scale: "the" ~7.7; 3 = once per million words
# wordfreq's small lists hold every word at Zipf 3 or above, with the frequencies of its large lists, and below 3
# every word counts as rare alike: the same weights, for a tenth of the loading time (English 0.01 s against 0.13 s,
# paid again in every forked framing worker).
_WORDLIST = "small"
_OTHER_PART_OF_SPEECH = 0.5


@cache
def _usual_tags() -> dict[str, str]:
    """Word -> its most frequent Penn tag: the Brill lexicon (Brown corpus and Penn Treebank) that TextBlob ships,
    read as a file so that importing TextBlob (and nltk) is not needed."""
    spec = importlib.util.find_spec("textblob")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("textblob is needed for its Brill lexicon", name="textblob")
    lexicon = Path(spec.origin).parent / "en" / "en-lexicon.txt"
    tags: dict[str, str] = {}
    for line in lexicon.read_text(encoding="utf-8").splitlines():
        word, _, tag = line.partition(" ")
        if tag and not line.startswith(";"):
            if word.islower():  # "us" is a pronoun even though "US" is a name
                tags[word] = tag.split()[0]
            else:
                tags.setdefault(word.lower(), tag.split()[0])
    return tags


@lru_cache(maxsize=65536)
def framing_weight(term: str, language: str | None = "en") -> float:
    """How much a term can say about framing, in (0, 1]: its rarest word's rarity in general usage of `language`
    (wordfreq's Zipf scale: 1 at or below once per million words, falling linearly to 0 at the most common words;
    English's where wordfreq cannot read the language), and for English halved unless every word is usually a noun
    or an adjective (the Brill lexicon; words missing from it count as nouns: mostly names)."""
    words = term.split()
    zipf = min(zipf_frequency(word, _frequency_language(language), _WORDLIST) for word in words)
    rarity = min(1.0, (_EVERYDAY_ZIPF - zipf) / (_EVERYDAY_ZIPF - _RARE_ZIPF))
    tags = _usual_tags()
    content = language not in (None, "en") or all(tags.get(word, "NN").startswith(_CONTENT_TAGS) for word in words)
    return max(rarity, 0.01) * (1.0 if content else _OTHER_PART_OF_SPEECH)


@cache
def _frequency_language(language: str | None) -> str:
    """`language` where wordfreq has its word list and can cut its text (Japanese and Korean need MeCab, which is
    not installed), else English."""
    if not language or language == "en":
        return "en"
    if language == "zh":
        chinese_segmenter()  # imported here first, so that its logging is quiet when wordfreq loads it
    try:
        zipf_frequency("x", language, _WORDLIST)
    except (LookupError, ModuleNotFoundError):
        return "en"
    return language


def document_terms(document, ngram_range: tuple[int, int], stop_words: frozenset) -> list[str]:
    """The terms of a document: a text, or a (text, language) pair, whose language's stop words are left out too."""
    text, language = document if isinstance(document, tuple) else (document, None)
    return clause_terms(text, ngram_range, stop_words, language=language)


@lru_cache(maxsize=8)
def _stop_set(stop_words: tuple[str, ...]) -> frozenset:
    return frozenset(stop_words)


@dataclass
class TermCounts:
    """A corpus tokenised once: each document's term counts and the corpus totals (the prior of every story)."""

    matrix: sparse.csr_matrix  # documents x terms
    terms: np.ndarray  # alphabetical, as CountVectorizer orders them
    totals: np.ndarray
    rows: dict  # document key -> row of `matrix`

    def of(self, keys, prior=None) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """The documents' counts over the terms they use, those terms, and the terms' totals over the `prior`
        documents (keys; default the whole corpus)."""
        counts = self.matrix[[self.rows[key] for key in keys]]
        # Renumbering the columns in use keeps each row's indices sorted: cheaper than scipy's column selection.
        used, column = np.unique(counts.indices, return_inverse=True)
        own = sparse.csr_matrix((counts.data, column.ravel(), counts.indptr), shape=(counts.shape[0], len(used)))
        if prior is None:
            return own, self.terms[used], self.totals[used]
        totals = np.asarray(self.matrix[[self.rows[key] for key in prior]][:, used].sum(axis=0)).ravel()
        return own, self.terms[used], totals

    def totals_of(self, terms: np.ndarray) -> np.ndarray:
        """Corpus totals of any terms; 0 for terms the corpus never uses."""
        if not len(self.terms):
            return np.zeros(len(terms))
        at = np.minimum(np.searchsorted(self.terms, terms), len(self.terms) - 1)
        return np.where(self.terms[at] == terms, self.totals[at], 0)


class FightinWords(BaseEstimator):
    """Score how much each group (outlet) favours each term over the other groups.

    `fit(texts, groups, background=None)` learns `z_scores_`, a DataFrame of groups x terms: the log-odds ratio of
    a term in one group versus all other groups, divided by its estimated standard deviation. The prior is
    `prior_size` pseudo-counts spread over terms in proportion to their frequency in `background` (or in `texts`),
    which shrinks rare terms towards zero instead of letting one mention dominate. For many stories of one corpus,
    count the corpus once (`count_terms`) and fit each story on its documents' counts (`fit_documents`).
    `weighted` ranks `top_terms` by z times `framing_weight` (labels, loaded words and names first).
    """

    def __init__(self, prior_size: float = 100.0, ngram_range: tuple[int, int] = (1, 2),
                 stop_words: list[str] | None = STOP_WORDS, min_count: int = 1, weighted: bool = True):
        self.prior_size = prior_size
        self.ngram_range = ngram_range
        self.stop_words = stop_words
        self.min_count = min_count
        self.weighted = weighted

    def analyzer(self) -> Callable[[str], list[str]]:
        """The terms this scorer counts in a text, in order."""
        return partial(document_terms, ngram_range=self.ngram_range,
                       stop_words=_stop_set(tuple(self.stop_words or ())))

    def make_vectorizer(self) -> CountVectorizer:
        return CountVectorizer(analyzer=self.analyzer())

    def count_terms(self, texts, keys=None) -> TermCounts:
        """Term counts of a corpus (documents named by `keys`, default their positions), computed once and used
        as the background of many stories."""
        vectorizer = self.make_vectorizer()
        matrix = vectorizer.fit_transform(list(texts)).tocsr()
        keys = range(matrix.shape[0]) if keys is None else keys
        return TermCounts(matrix, vectorizer.get_feature_names_out(), np.asarray(matrix.sum(axis=0)).ravel(),
                          {key: row for row, key in enumerate(keys)})

    def fit(self, texts, groups, background: TermCounts | None = None):
        """Learn z-scores; `background` is `count_terms` of a larger corpus (default: the texts themselves)."""
        vectorizer = self.make_vectorizer()
        doc_counts = vectorizer.fit_transform(list(texts))
        terms = vectorizer.get_feature_names_out()
        prior = np.asarray(doc_counts.sum(axis=0)).ravel() if background is None else background.totals_of(terms)
        return self._fit_counts(doc_counts, terms, list(groups), prior)

    def fit_documents(self, counts: TermCounts, keys, groups, prior=None):
        """`fit` on documents already counted in `counts`, with the `prior` documents (keys) as the background,
        default the whole of `counts`."""
        doc_counts, terms, prior = counts.of(keys, prior)
        return self._fit_counts(doc_counts, terms, list(groups), prior)

    def _fit_counts(self, doc_counts, terms: np.ndarray, groups: list, prior_counts: np.ndarray):
        prior_counts = prior_counts.astype(np.float64)
        # The small floor keeps terms unseen in the background from getting a zero pseudo-count.
        alpha = self.prior_size * (prior_counts + 0.01) / (prior_counts + 0.01).sum()
        alpha0 = alpha.sum()

        self.groups_ = sorted(set(groups))
        row_of = {group: row for row, group in enumerate(self.groups_)}
        membership = sparse.csr_matrix((np.ones(len(groups)), ([row_of[g] for g in groups], np.arange(len(groups)))),
                                       shape=(len(self.groups_), len(groups)))
        y_i = (membership @ doc_counts).toarray().astype(np.float64)  # one row of term counts per group
        y_j = y_i.sum(axis=0) - y_i  # the same terms in all other groups
        n_i, n_j = y_i.sum(axis=1, keepdims=True), y_j.sum(axis=1, keepdims=True)
        log_odds_i = np.log((y_i + alpha) / (n_i + alpha0 - y_i - alpha))
        log_odds_j = np.log((y_j + alpha) / (n_j + alpha0 - y_j - alpha))
        z = (log_odds_i - log_odds_j) / np.sqrt(1.0 / (y_i + alpha) + 1.0 / (y_j + alpha))
        # Arrays, not frames: a report fits hundreds of stories and reads a few terms of each.
        self.terms_, self._counts, self._z = terms, y_i, z
        return self

    @property
    def counts_(self) -> pd.DataFrame:
        """Groups x terms: how often each group uses each term."""
        return pd.DataFrame(self._counts, index=self.groups_, columns=self.terms_)

    @property
    def z_scores_(self) -> pd.DataFrame:
        return pd.DataFrame(self._z, index=self.groups_, columns=self.terms_)

    def first_use(self, terms, texts) -> dict[str, str]:
        """The first of `texts` (read lazily; texts or (text, language) pairs, as counted) in which each term is
        counted; terms never counted are left out."""
        missing, found, analyze = set(terms), {}, self.analyzer()
        for document in texts:
            if not missing:
                break
            for term in missing.intersection(analyze(document)):
                found[term] = document[0] if isinstance(document, tuple) else document
            missing.difference_update(found)
        return found

    def top_terms(self, group, n: int = 8, min_z: float = 0.0, language: str | None = "en") -> list[tuple[str, float]]:
        """The group's most distinctive terms it actually uses, with their z, without overlapping n-grams: highest
        z times `framing_weight` (in the group's `language`) first (highest z first when the scorer is not
        `weighted`)."""
        row = self.groups_.index(group)
        z, counts = self._z[row], self._counts[row]
        candidates = np.flatnonzero((counts >= self.min_count) & (z > min_z))
        words = np.array([self.terms_[i].count(" ") for i in candidates], dtype=int)
        rank = z[candidates] * [framing_weight(self.terms_[i], language) for i in candidates] if self.weighted \
            else z[candidates]
        # At (near-)equal rank the longer n-gram wins ("air truce" says more than "air"), then the alphabetical
        # first, which is the lower index: terms_ is in alphabetical order.
        ranked = candidates[np.lexsort((candidates, -words, -np.round(rank, 6)))]
        # Read lazily: the first few of many candidates are usually all that distinct_terms needs.
        chosen = distinct_terms((self.terms_[i] for i in ranked), n)
        return [(term, float(z[i])) for term, i in zip(chosen, np.searchsorted(self.terms_, chosen))]
