"""Text helpers shared by the stages: which text to read, and sentence splitting."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

import pandas as pd
import regex
from sentencex import segment
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Reporting verbs carry no framing of their own yet fill every news story's top terms.
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | {"said", "says", "say", "told", "according", "reported", "reports", "just",
                                          "like", "also"})
# Bounds on what the analyses read, so one hostile or broken article cannot take a run's time or memory: a
# "sentence" longer than MAX_SENTENCE_CHARS (text without full stops) is cut on whitespace near that length, and the
# per-sentence analyses see at most the first MAX_ARTICLE_SENTENCES of an article and MAX_STORY_SENTENCES of a story
# (`perspectives.framing.sentences.sentence_cuts` says what was left out). Real news sentences stay far below them.
MAX_SENTENCE_CHARS = 2000
MAX_ARTICLE_SENTENCES = 300
MAX_STORY_SENTENCES = 5000
_LAST_SPACE = re.compile(r".*\s", re.DOTALL)  # runs to the span's end and steps back to its last whitespace: O(span)
# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese): a run of them is a
# phrase, not a word, so `words` reads it as overlapping pairs of characters, as Lucene's CJK analyzer does.
UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_UNSPACED_RUN = regex.compile(rf"[{UNSPACED}]+")
_WORD = regex.compile(r"\w[\w\p{M}]+")  # two characters or more; marks inside a word (Devanagari's vowels) count
_GRAPHEME = regex.compile(r"\X")
_LETTERS = regex.compile(r"\p{L}[\p{L}\p{M}]*")
# Where a clause ends, in the scripts news is written in (full stops and commas of Chinese, Arabic, Devanagari...).
_CLAUSE_BREAK = regex.compile(r"[.,;:!?\"“”«»„()\[\]\n。，、；：！？「」『』（）《》【】،؛؟।]+")
# Marks are accents in these scripts; in Devanagari, Thai and the other abugidas a mark spells a vowel and stays.
_ACCENTED = regex.compile(r"([\p{Latin}\p{Greek}\p{Cyrillic}\p{Arabic}\p{Hebrew}])\p{M}+")  # linear: no lookbehind


def fold(text: str) -> str:
    """Lower case without accents: 'Zelensky', 'Zelenskÿ' and 'zelensky' compare equal."""
    return unicodedata.normalize("NFC", _ACCENTED.sub(r"\1", unicodedata.normalize("NFKD", text))).lower()


def words(text: str, folded: bool = True) -> list[str]:
    """The words of `text`, lower-cased and (unless not `folded`, for display) without accents, in any script: runs
    of letters, marks and digits of two characters or more, and each run of an unspaced script as its overlapping
    pairs of characters."""
    lowered = fold(text) if folded else unicodedata.normalize("NFC", text).lower()
    if not _UNSPACED_RUN.search(lowered):
        return _WORD.findall(lowered)
    tokens = []
    for spaced, characters in _by_spacing(lowered):
        tokens += _WORD.findall(spaced) + _character_pairs(characters)
    return tokens


def clause_terms(text: str, ngram_range: tuple[int, int], stop_words: frozenset[str], min_length: int = 2) -> list[str]:
    """The terms of keywords and distinctive wording, lower-cased with their accents: n-grams of words of letters
    (at least `min_length` of them, stop words left out) that stay inside one clause, so that no term spans a
    sentence or comma break; in an unspaced script, pairs of characters (its words are mostly two characters)."""
    terms: list[str] = []
    for clause in _CLAUSE_BREAK.split(unicodedata.normalize("NFC", text).lower()):
        for spaced, characters in _by_spacing(clause):
            kept = [w for w in _WORD.findall(spaced) if len(w) >= min_length and w not in stop_words
                    and _LETTERS.fullmatch(w)]
            for n in range(ngram_range[0], ngram_range[1] + 1):
                terms += kept if n == 1 else map(" ".join, zip(*(kept[i:] for i in range(n))))
            terms += _character_pairs(characters)
    return terms


def _by_spacing(text: str) -> Iterator[tuple[str, list[str]]]:
    """`text` cut at each run of an unspaced script: the stretch before each run, with the run's characters."""
    for spaced, run in zip(_UNSPACED_RUN.split(text), [*_UNSPACED_RUN.findall(text), ""]):
        yield spaced, _GRAPHEME.findall(run)


def _character_pairs(characters: list[str]) -> list[str]:
    return ["".join(pair) for pair in zip(characters, characters[1:])] or characters


def english_title(article) -> str:
    """The English headline when a translation exists, else the original."""
    return _pick(article, "title_en", "title")


def english_text(article) -> str:
    return _pick(article, "text_en", "text")


def present(value) -> bool:
    """True for a non-blank value; None, NaN and blank strings are missing."""
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and bool(str(value).strip())


def without_nan(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with None (not NaN) for every missing value, as the store returns them."""
    return frame.astype(object).where(frame.notna(), None)


def has_english(article) -> bool:
    """Whether the article carries an English translation (of its title or text): its English view is that."""
    return present(article.get("title_en")) or present(article.get("text_en"))


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


def short_id(prefix: str, seed: str, length: int = 10) -> str:
    """A stable id named after `seed`: `prefix-` and the first `length` hex digits of its SHA-1 (s-…, w-…, web-…)."""
    return f"{prefix}-{hashlib.sha1(seed.encode('utf-8')).hexdigest()[:length]}"


def sentences(text: str, language: str | None = "en") -> list[str]:
    """Split text into sentences with the language's own rules (sentencex); none is longer than MAX_SENTENCE_CHARS."""
    return list(_split(language or "en", text or ""))


@lru_cache(maxsize=8192)
def _split(language: str, text: str) -> tuple[str, ...]:
    # Cached: a story's takes, ledes and sentence table each split the same article texts.
    return tuple(piece for s in segment(language, text) for piece in pieces(s, MAX_SENTENCE_CHARS) if piece)


def pieces(sentence: str, limit: int) -> Iterator[str]:
    """`sentence` stripped, in pieces of at most `limit` characters, each cut at the last whitespace in the second
    half of its span (hard, at `limit`, when there is none). Linear: textwrap re-slices the rest of a long word for
    every piece it cuts off."""
    sentence, start = sentence.strip(), 0
    while len(sentence) - start > limit:
        last_space = _LAST_SPACE.match(sentence, start + limit // 2, start + limit + 1)
        cut = last_space.end() - 1 if last_space else start + limit
        yield sentence[start:cut].strip()
        start = cut
    yield sentence[start:].strip()


def lede(text: str, language: str | None = "en", n: int = 2) -> str:
    """The first n sentences of an article's body."""
    return " ".join(sentences(text, language)[:n])


def distinct_terms(ranked_terms: Iterable[str], n: int) -> list[str]:
    """The first n terms sharing no word with a term already chosen ("air truce" hides "truce"), nor, in an
    unspaced script, a character ("滥用" hides "用权", the pair that straddles "滥用权力")."""
    chosen: list[str] = []
    taken: set[str] = set()
    for term in ranked_terms:
        parts = {part for word in term.split()
                 for part in (_GRAPHEME.findall(word) if _UNSPACED_RUN.fullmatch(word) else [word])}
        if parts & taken:
            continue
        chosen.append(term)
        taken |= parts
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
