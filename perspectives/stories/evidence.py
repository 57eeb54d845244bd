"""What two articles share beyond embedding similarity: words, headline words and anchors (names and numbers).

Research on event grouping finds lexical and named-entity overlap beat dense embeddings alone within one language,
while dense multilingual embeddings carry across languages. Every feature here is a cosine whose value for unrelated
articles is about 0, so they average with equal weights; a pair averages only the features that mean something for
it: word and headline overlap only within one language, anchors only between articles with a body (headlines are
often Title Case, where capitals say nothing). Embeddings are centred per language first: that removes the
"same language" component of multilingual vectors and brings unrelated pairs to about 0 as well.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer

from perspectives.text import document, english_text, english_title, has_english

_TOKEN = re.compile(r"[^\W\d_][\w'’-]*|\d[\d.,]*\d|\d", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?:;\"“”«»()\n]\s*$")
# Edges per block when multiplying sparse rows: bounds memory on large graphs.
_EDGE_BLOCK = 200_000


def fold(text: str) -> str:
    """Lower case without accents: 'Zelensky', 'Zelenskÿ' and 'zelensky' compare equal."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def anchors(text: str) -> list[str]:
    """Names and numbers, which survive translation: capitalised words that do not open a sentence, and digit
    strings without separators (so 1,000 and 1.000 match)."""
    found = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token[0].isdigit():
            found.append("#" + re.sub(r"[.,]", "", token))
        elif token[0].isupper() and len(token) > 1:
            opens_sentence = match.start() == 0 or _SENTENCE_END.search(text[max(0, match.start() - 3):match.start()])
            if not opens_sentence:
                found.append(fold(token))
    return found


def embedded_language(articles: pd.DataFrame) -> np.ndarray:
    """The language of the text that was embedded: English where a translation was used."""
    return np.array(["en" if has_english(a) else str(a.get("language") or "")
                     for a in articles.to_dict("records")], dtype=object)


# How many articles a language's mean is worth before it is trusted: a language with a handful of articles (often
# all about one event) would otherwise lose the very thing its articles share. The mean removed is shrunk by
# n / (n + PRIOR_ARTICLES).
PRIOR_ARTICLES = 10


def centre_by_language(vectors: np.ndarray, languages: np.ndarray) -> np.ndarray:
    """Subtract each language's (shrunk) mean vector and rescale rows to unit length."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    centred = unit.astype(np.float32, copy=True)
    for language in np.unique(languages):
        rows = languages == language
        centred[rows] -= unit[rows].mean(axis=0) * rows.sum() / (rows.sum() + PRIOR_ARTICLES)
    return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)


# Two headlines that both state figures and share none report different events of one kind (this week's jobless
# claims and last week's): their similarity loses this much. Figures in more than FIGURE_MAX_SHARE of the headlines
# (a year, "top 10") name no event. Both were chosen leaving one labelled set out at a time (benchmarks/grouping.py).
FIGURE_CONFLICT = 0.1
FIGURE_MAX_SHARE = 0.05


class EventEvidence(BaseEstimator):
    """Word, headline and anchor TF-IDF spaces fitted on a corpus; `similarity` scores candidate pairs."""

    def __init__(self, figure_conflict: float = FIGURE_CONFLICT):
        self.figure_conflict = figure_conflict

    def fit(self, articles: pd.DataFrame):
        records = articles.to_dict("records")
        bodies = [english_text(a) for a in records]
        self.languages_ = embedded_language(articles)
        self.has_body_ = np.array([bool(b.strip()) for b in bodies])
        self.words_ = _tfidf([document(a) for a in records])
        self.headlines_ = _tfidf([fold(english_title(a)) for a in records])
        self.anchors_ = _tfidf([anchors(b) for b in bodies], analyzer=list, binary=True, sublinear_tf=False)
        self.figures_ = _tfidf([[t for t in anchors(". " + english_title(a)) if t.startswith("#")] for a in records],
                               analyzer=list, binary=True, sublinear_tf=False, max_df=FIGURE_MAX_SHARE)
        self.has_figures_ = self.figures_.getnnz(axis=1) > 0
        return self

    def similarity(self, rows: np.ndarray, cols: np.ndarray, embedding_similarity: np.ndarray) -> np.ndarray:
        """Mean of the features defined for each pair (rows[e], cols[e]); the embedding's always is. Pairs whose
        headlines state different figures lose `figure_conflict`."""
        same_language = self.languages_[rows] == self.languages_[cols]
        both_bodies = self.has_body_[rows] & self.has_body_[cols]
        total = embedding_similarity.astype(np.float64)
        total += same_language * _row_dots(self.words_, rows, cols)
        total += both_bodies * _row_dots(self.anchors_, rows, cols)
        total += (same_language & both_bodies) * _row_dots(self.headlines_, rows, cols)
        both_figures = self.has_figures_[rows] & self.has_figures_[cols]
        conflict = both_figures & (_row_dots(self.figures_, rows, cols) == 0)
        mean = total / (1.0 + same_language + both_bodies + (same_language & both_bodies))
        return mean - self.figure_conflict * conflict


def _tfidf(texts: list, analyzer="word", binary: bool = False, sublinear_tf: bool = True, max_df: float = 1.0):
    """Row-normalised TF-IDF matrix; an empty corpus vocabulary gives all-zero rows."""
    vectorizer = TfidfVectorizer(analyzer=analyzer, binary=binary, sublinear_tf=sublinear_tf, max_df=max_df,
                                 strip_accents="unicode" if analyzer == "word" else None)
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # no token at all (e.g. no article has a body)
        return csr_matrix((len(texts), 1))


def _row_dots(matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Cosine of row pairs of a row-normalised sparse matrix, in blocks of edges."""
    out = np.empty(len(rows))
    for start in range(0, len(rows), _EDGE_BLOCK):
        block = slice(start, start + _EDGE_BLOCK)
        out[block] = np.asarray(matrix[rows[block]].multiply(matrix[cols[block]]).sum(axis=1)).ravel()
    return out
