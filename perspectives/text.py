"""Text helpers shared by the stages: which text to read, and sentence splitting."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache

import numpy as np
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
_LETTER_WORD = regex.compile(r"(?<![\w\p{M}])\p{L}[\p{L}\p{M}]+(?![\w\p{M}])")  # a word of letters (and marks) only
_DISPLAY_RUN = regex.compile(rf"[{UNSPACED}ー]+")
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
# The pieces of a run of unspaced scripts that hold words to show (the prolonged sound mark ー belongs to katakana).
_UNSPACED_PIECE = regex.compile(r"(?P<han>\p{Han}+)|(?P<katakana>[\p{Katakana}ー]+)")
# Where a clause ends, in the scripts news is written in (full stops and commas of Chinese, Arabic, Devanagari...).
_CLAUSE_BREAK = regex.compile(r"[.,;:!?\"“”«»„()\[\]\n。，、；：！？「」『』（）《》【】،؛؟।]+")
# Marks are accents in these scripts; in Devanagari, Thai and the other abugidas a mark spells a vowel and stays.
_ACCENTED = regex.compile(r"([\p{Latin}\p{Greek}\p{Cyrillic}\p{Arabic}\p{Hebrew}])\p{M}+")  # linear: no lookbehind


def fold(text: str) -> str:
    """Lower case without accents: 'Zelensky', 'Zelenskÿ' and 'zelensky' compare equal."""
    return unicodedata.normalize("NFC", _ACCENTED.sub(r"\1", unicodedata.normalize("NFKD", text))).lower()


def words(text: str) -> list[str]:
    """The words of `text`, folded, in any script: runs of letters, marks and digits of two characters or more, and
    each run of an unspaced script as its overlapping pairs of characters (what the evidence matches; keywords and
    distinctive wording read `clause_terms`)."""
    folded = fold(text)
    if not _UNSPACED_RUN.search(folded):
        return _WORD.findall(folded)
    tokens = []
    for spaced, run in _by_spacing(folded):
        tokens += _WORD.findall(spaced) + _character_pairs(_GRAPHEME.findall(run))
    return tokens


def clause_terms(text: str, ngram_range: tuple[int, int], stop_words: frozenset[str], min_length: int = 2,
                 language: str | None = None) -> list[str]:
    """The terms of keywords and distinctive wording, lower-cased with their accents: n-grams of words of letters
    (at least `min_length` of them; stop words, and those of `language`, left out) that stay inside one clause, so
    that no term spans a sentence or comma break; in scripts written without spaces, their words (`unspaced_words`)."""
    stops = _stop_keys(stop_words, language)
    japanese = language == "ja" or bool(_KANA.search(text))
    unspaced = bool(_DISPLAY_RUN.search(text))
    terms: list[str] = []
    for clause in _CLAUSE_BREAK.split(unicodedata.normalize("NFC", text).lower()):
        for spaced, run in _by_spacing(clause, _DISPLAY_RUN) if unspaced else [(clause, "")]:
            kept = [w for w in _LETTER_WORD.findall(spaced) if len(w) >= min_length
                    and (w if w.isascii() else _fold_word(w)) not in stops]
            for n in range(ngram_range[0], ngram_range[1] + 1):
                terms += kept if n == 1 else map(" ".join, zip(*(kept[i:] for i in range(n))))
            terms += [w for w in unspaced_words(run, japanese) if w not in stops]
    return terms


@lru_cache(maxsize=64)
def _stop_keys(stop_words: frozenset[str], language: str | None) -> frozenset[str]:
    """Stop words compared without accents: the lists write Arabic's alef without its hamza (الى for إلى)."""
    return frozenset(map(fold, stop_words | language_stop_words(language)))


@lru_cache(maxsize=1 << 16)
def _fold_word(word: str) -> str:
    return fold(word)


def unspaced_words(run: str, japanese: bool) -> list[str]:
    """The words of a run of unspaced scripts, for display: Chinese cut into words by jieba; in Japanese (`japanese`:
    the text has kana) each run of kanji or of katakana whole (a compound, a loanword or a name), hiragana (particles
    and endings) left out. Words of one character are left out, and so are Thai, Lao, Khmer and Burmese: no word
    segmenter for them ships here, and pairs of their characters read as noise."""
    found: list[str] = []
    for piece in _UNSPACED_PIECE.finditer(run):
        if piece["han"] and not japanese:
            found += chinese_segmenter().lcut(piece["han"])
        elif piece["han"] or piece["katakana"]:
            found.append(piece[0])
    return [word for word in found if len(word) > 1]


@cache
def chinese_segmenter():
    """jieba, its logging quieted (it logs its dictionary's load at DEBUG on stderr; wordfreq uses it too)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


# Languages whose list in the `stop-words` package is of another form of the language: its Greek list is Ancient
# Greek (polytonic), which keeps "για" and "στην" of a modern Greek article among its keywords.
_OTHER_FORM = frozenset({"el"})


@lru_cache(maxsize=64)
def language_stop_words(language: str | None) -> frozenset[str]:
    """The stop words of `language` (ISO 639-1), lower-cased: the `stop-words` package's list (function words, not
    news words, where Stopwords ISO's Russian list holds "россия" and "война"), else Stopwords ISO's (modern Greek,
    Swahili, Urdu, Thai, Bengali and others); empty for English, whose STOP_WORDS callers pass, and for a language
    neither lists."""
    if not language or language == "en":
        return frozenset()
    import stopwordsiso
    from stop_words import safe_get_stop_words

    words = [] if language in _OTHER_FORM else safe_get_stop_words(language)
    if not words and stopwordsiso.has_lang(language):
        words = stopwordsiso.stopwords(language)
    return frozenset(unicodedata.normalize("NFC", word).lower() for word in words)


def _by_spacing(text: str, runs: regex.Pattern = _UNSPACED_RUN) -> Iterator[tuple[str, str]]:
    """`text` cut at each of its `runs` (of unspaced scripts): the stretch before each run, with the run."""
    yield from zip(runs.split(text), [*runs.findall(text), ""])


def _character_pairs(characters: list[str]) -> list[str]:
    return ["".join(pair) for pair in zip(characters, characters[1:])] or characters


def english_title(article) -> str:
    """The English headline when a translation exists, else the original."""
    return _pick(article, "title_en", "title")


def english_text(article) -> str:
    return _pick(article, "text_en", "text")


# A body's first line reads as its headline when it stands alone (a line of its own, with more text after it), holds
# at least HEADLINE_LONG_WORDS words of four letters or more (or HEADLINE_UNSPACED characters of a script written
# without spaces), at most HEADLINE_WORDS words, and does not end as a sentence or a clause does: plain-text articles
# and many collections put the headline there instead of in a title field. Datelines ("10 de diciembre del 2013",
# "Tuesday, December 10, 2013") and bylines ("By Sarah Jane Lee") hold fewer long words; 99% of the labelled sets'
# titles hold three or more, and 21 words or fewer (the longest 34): an opening paragraph of one long question is not
# a headline.
HEADLINE_LONG_WORDS = 3
HEADLINE_UNSPACED = 6
HEADLINE_WORDS = 30
_SENTENCE_OR_CLAUSE_END = frozenset(".,;:…。，；：")


def _reads_as_headline(line: str, rest: str) -> bool:
    long_words = sum(len(word) >= 4 for word in _LETTER_WORD.findall(line))
    unspaced = sum(map(len, _UNSPACED_RUN.findall(line)))
    # The characters after its last letter or digit, read from the end: a pattern anchored at the end would try
    # every start, quadratic on a long run of punctuation.
    last = len(line)
    while last and not line[last - 1].isalnum():
        last -= 1
    return ((long_words >= HEADLINE_LONG_WORDS or unspaced >= HEADLINE_UNSPACED) and len(line.split()) <= HEADLINE_WORDS
            and not _SENTENCE_OR_CLAUSE_END.intersection(line[last:]) and len(rest.strip()) > len(line))


def split_headline(title, text) -> tuple[str, str]:
    """The headline and body of a title and text: as they are, but where there is no title and the text opens with
    a headline line (see HEADLINE_LONG_WORDS), that line and the rest. Read apart, a headline's capitals are not taken
    for names (headlines are often Title Case) and it is compared with other headlines."""
    title, text = title if present(title) else "", text if present(text) else ""
    first, found, rest = text.strip().partition("\n")
    if title or not found:
        return title, text
    first = first.strip()
    return (first, rest) if _reads_as_headline(first, rest) else (title, text)


def headline_and_body(article) -> tuple[str, str]:
    """`split_headline` of the article's title and text as it is read (in English where translated)."""
    return split_headline(english_title(article), english_text(article))


def present(value) -> bool:
    """True for a non-blank value; None, NaN and blank strings are missing."""
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and bool(str(value).strip())


def without_nan(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with None (not NaN) for every missing value, as the store returns them."""
    return frame.astype(object).where(frame.notna(), None)


def view_language(article) -> str | None:
    """The language `document(article)` is read in: English where the article carries a translation."""
    return "en" if has_english(article) else article.get("language")


def has_english(article) -> bool:
    """Whether the article carries an English translation (of its title or text): its English view is that."""
    return present(article.get("title_en")) or present(article.get("text_en"))


def embedded_language(articles: pd.DataFrame) -> np.ndarray:
    """The language of the text that was embedded: English where a translation was used ("" where unknown)."""
    return np.array(["en" if has_english(a) else str(a["language"]) if present(a.get("language")) else ""
                     for a in articles.to_dict("records")], dtype=object)


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


# Characters of an untitled article's text that stand for its title (where bodies are not read, and where a title
# is compared).
OPENING = 200


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
