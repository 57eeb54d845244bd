"""Text helpers shared by the stages: which text to read, and sentence splitting."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

import pandas as pd
from sentencex import segment
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Reporting verbs carry no framing of their own yet fill every news story's top terms.
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | {"said", "says", "say", "told", "according", "reported", "reports", "just",
                                          "like", "also"})


def english_title(article) -> str:
    """The English headline when a translation exists, else the original."""
    return _pick(article, "title_en", "title")


def english_text(article) -> str:
    return _pick(article, "text_en", "text")


def present(value) -> bool:
    """True for a non-blank value; None, NaN and blank strings are missing."""
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and bool(str(value).strip())


def _pick(article, preferred: str, fallback: str) -> str:
    value = article.get(preferred)
    if not present(value):
        value = article.get(fallback)
    return str(value) if present(value) else ""


def document(article, max_chars: int = 2000) -> str:
    """Headline and body in English where possible: what the English-only default model reads."""
    return f"{english_title(article)}. {english_text(article)}"[:max_chars]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sentences(text: str, language: str | None = "en") -> list[str]:
    """Split text into sentences with the language's own rules (sentencex)."""
    return list(_split(language or "en", text or ""))


@lru_cache(maxsize=8192)
def _split(language: str, text: str) -> tuple[str, ...]:
    # Cached: a story's takes, ledes and sentence table each split the same article texts.
    return tuple(s.strip() for s in segment(language, text) if s.strip())


def lede(text: str, language: str | None = "en", n: int = 2) -> str:
    """The first n sentences of an article's body."""
    return " ".join(sentences(text, language)[:n])


def distinct_terms(ranked_terms: Iterable[str], n: int) -> list[str]:
    """The first n terms sharing no word with a term already chosen ("air truce" hides "truce")."""
    chosen: list[str] = []
    for term in ranked_terms:
        words = set(term.split())
        if any(words & set(c.split()) for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == n:
            break
    return chosen


def map_strings(frame: pd.DataFrame, fn) -> pd.DataFrame:
    """A copy of `frame` with `fn` applied to every string cell (numbers and missing values stay as they are)."""
    def column(values: pd.Series) -> pd.Series:
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            return values
        return values.map(lambda v: fn(v) if isinstance(v, str) else v)
    return frame.apply(column) if len(frame.columns) else frame.copy()
