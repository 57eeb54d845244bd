"""Normalise fetched items: canonical URLs, UTC dates, detected language."""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache

import courlan
import numpy as np
import pandas as pd
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from perspectives.ingest.schema import UNKNOWN_OUTLET, iso_utc, utc_text
from perspectives.text import OPENING, short_id, words


def canonical_url(url: str) -> str:
    """Lower-case host, no default port or fragment, tracking parameters (utm_*, fbclid, ...) removed."""
    return courlan.normalize_url(url, strict=True)


# Two titles of one outlet that share this share of the shorter's words are one article's (an edit). Of the titles
# of different stories of one outlet in the labelled sets, 0-1.5% of pairs share half (0-5% a third).
SAME_TITLE_SHARE = 0.5


def same_article(held: Mapping, given: Mapping) -> bool:
    """Whether `given`, a row under an id that names `held`, is that article again (an edit, a second copy) rather
    than another under a reused id (the row numbers of two exports): the same link where both have one; else the
    same outlet (or one unknown) and titles (a body's opening without one) sharing SAME_TITLE_SHARE of their words."""
    if held["url"] and given["url"]:
        return canonical_url(held["url"]) == canonical_url(given["url"])
    if UNKNOWN_OUTLET not in (held["outlet"], given["outlet"]) and held["outlet"] != given["outlet"]:
        return False
    first, second = (set(words(row["title"] or row["text"][:OPENING])) for row in (held, given))
    return len(first & second) >= SAME_TITLE_SHARE * max(1, min(len(first), len(second)))


def reused_id(article: Mapping) -> str:
    """The id for an article given under an id that names another: the id given and a hash of its link, else of its
    outlet and title (a body's opening without one), so that reading it again finds it again."""
    seed = canonical_url(article["url"]) if article["url"] else (
        f"{article['outlet']}|{article['title'] or article['text'][:OPENING]}")
    return short_id(article["id"], seed)


def renamed(article: dict) -> dict:
    """`article` under `reused_id`, its id given kept in `extra.id_given`."""
    return {**article, "id": reused_id(article), "extra": {**article["extra"], "id_given": article["id"]}}


def renamed_where_reused(articles: pd.DataFrame, held: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """`articles` with each one given under an id that names another of the `held` articles (`id, url, outlet,
    title, text`: a store's) `renamed`, and the ids they were given; an article named by its file and row
    (`extra.id_source` "row") keeps its id, as rows inserted into a file shift every later row."""
    held_by_id = {row["id"]: {**row, "text": row.get("text") or ""} for row in held.to_dict("records")}
    reused = []
    for article in articles[articles["id"].isin(list(held_by_id))].to_dict("records"):
        before = held_by_id[article["id"]]
        unchanged = all(before[key] == article[key] for key in ("url", "outlet", "title"))
        if not unchanged and article["extra"].get("id_source") != "row" and not same_article(before, article):
            reused.append(article["id"])
    if not reused:
        return articles, []
    where = articles["id"].isin(reused)
    renamed_rows = pd.DataFrame([renamed(article) for article in articles[where].to_dict("records")],
                                index=articles.index[where])
    return pd.concat([articles[~where], renamed_rows]).loc[articles.index], renamed_rows["id"].tolist()


def article_id(url: str) -> str:
    """Articles fetched from the web are identified by their canonical URL."""
    return short_id("web", canonical_url(url), length=16)


def utc_from_struct(parsed_time) -> str | None:
    """feedparser's *_parsed fields are UTC struct_time values; as `iso_utc` writes them (None for a placeholder)."""
    if not parsed_time:
        return None
    return iso_utc(pd.Timestamp(calendar.timegm(parsed_time), unit="s", tz="UTC"))


def utc_from_text(value: str | None) -> str | None:
    """A page's date (trafilatura's metadata) as UTC ISO 8601, or None; long text is not parsed (`utc_text`)."""
    return utc_text(str(value).strip()) if value else None


# How much the file's languages weigh: each language's confidence is multiplied by its share of the file raised to
# this power. 1 (plain Bayes, as if lingua's confidences were probabilities) overturns short texts in a file's rarer
# languages: in files of one main language and 20 first sentences of each other one, the mean misread rate per
# language was 2.0-4.5%, against 0.5-2.6% both reading each text alone and at 0.25. Chosen among 0, 0.25, 0.5, 0.75
# and 1 on ten files of short texts (`python benchmarks/languages.py`: misread rate overall and per language):
# leaving any one out, 0.25.
PRIOR_EXPONENT = 0.25
# A language beyond the candidates is read only where the file shows it: first, with at least this confidence, in at
# least this many texts. Over all its languages, lingua reads 0.5-3.7% of the labelled short texts (all in the
# candidates) first as others (Swahili, Yoruba, Tagalog, Latin, Sotho...), nearly all under 0.9 and never one language
# twice at 0.9 or more (`python benchmarks/languages.py`); one full sentence in each of 15 other languages (Catalan,
# Slovene, Bulgarian, Basque, Thai...) is read at 0.9 or more, but for Croatian (0.58, against Bosnian) and
# Afrikaans (0.89).
EVIDENT_CONFIDENCE = 0.9
EVIDENT_TEXTS = 2
# Texts whose language confidences are computed at once: lingua's result objects (one per language and text) for a
# whole large file would take gigabytes; the confidences are kept as one float32 row per text.
_DETECT_BLOCK = 10_000


@lru_cache(maxsize=8)
def _detector(languages: frozenset[str]):
    codes = [IsoCode639_1.from_str(code) for code in sorted(languages)]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def _supported(candidates: set[str]) -> frozenset[str]:
    """The candidates lingua knows, English always among them."""
    supported = set()
    for code in candidates | {"en"}:
        try:
            IsoCode639_1.from_str(code)
            supported.add(code)
        except ValueError:
            continue
    return frozenset(supported)


def detect_language(text: str, candidates: set[str]) -> str | None:
    """ISO 639-1 code of `text` among `candidates` (lingua), or None when it cannot tell.

    Limiting the candidates to the registry's languages keeps the detector small and fast to build.
    """
    supported = _supported(candidates)
    if len(supported) < 2 or not text.strip():
        return None
    found = _detector(supported).detect_language_of(text)
    return found.iso_code_639_1.name.lower() if found else None


def lingua_codes() -> list[str]:
    """Every language lingua knows, as ISO 639-1 codes, in order."""
    return sorted(language.iso_code_639_1.name.lower() for language in Language.all())


@lru_cache(maxsize=1)
def _quick_detector():
    """Every language lingua knows, read on trigrams alone (its low accuracy mode): some 70 MB and a fraction of a
    second to build where the full models take over a gigabyte and seconds; sure enough of a paragraph."""
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def language_confidences(texts: list[str], quick: bool = False) -> tuple[list[str], np.ndarray]:
    """Every language lingua knows (ISO 639-1 codes) and each text's confidence in each, one float32 row per text;
    `quick` on trigrams alone (`_quick_detector`)."""
    codes = lingua_codes()
    column = {code: k for k, code in enumerate(codes)}
    detector = _quick_detector() if quick else _detector(frozenset(codes))
    confidence = np.zeros((len(texts), len(codes)), dtype=np.float32)
    for start in range(0, len(texts), _DETECT_BLOCK):
        block = detector.compute_language_confidence_values_in_parallel(texts[start:start + _DETECT_BLOCK])
        for row, values in enumerate(block, start):
            for value in values:
                confidence[row, column[value.language.iso_code_639_1.name.lower()]] = value.value
    return codes, confidence


def detect_languages(texts: list[str], candidates: set[str], known: Iterable[str] = (),
                     prior_exponent: float = PRIOR_EXPONENT) -> list[str | None]:
    """Each text's ISO 639-1 code, read with the corpus's own languages as a prior (None where lingua cannot tell).

    Every language lingua knows may be read, but beyond `candidates` only one that the file shows: read first, with
    a confidence of at least EVIDENT_CONFIDENCE, in EVIDENT_TEXTS texts or more (a Catalan or Slovak file is read as
    such, while short English texts do not turn Tagalog or Latin).

    A short text is ambiguous on its own: lingua alone calls 4% of a set of short English event texts German,
    Norwegian, Spanish and so on. The texts around it are not, so each language's confidence is weighed by its share
    of the corpus (the `known` languages and each text's best guess, add-one smoothed), tempered (PRIOR_EXPONENT) so
    that a short text in one of the file's rarer languages keeps it; a long text's confidence is near 1 for its own
    language, which no share overturns. `prior_exponent` 0 reads each text alone.
    """
    codes, confidence = language_confidences(texts)
    evident = np.bincount(confidence.argmax(axis=1)[confidence.max(axis=1) >= EVIDENT_CONFIDENCE],
                          minlength=len(codes)) >= EVIDENT_TEXTS
    allowed = evident | np.isin(codes, sorted(_supported(candidates)))
    confidence *= allowed
    readable = (confidence.max(axis=1) > 0) & np.array([bool(text.strip()) for text in texts], dtype=bool)
    counts = Counter(known) + Counter(codes[k] for k in confidence[readable].argmax(axis=1))
    total = sum(counts[code] for code in codes)
    share = np.array([(counts[code] + 1) / (total + allowed.sum()) for code in codes], dtype=np.float32)
    best = (confidence * share ** prior_exponent).argmax(axis=1)
    return [codes[k] if ok else None for k, ok in zip(best, readable)]


# A language given for a source's rows is checked on at most this many of them (evenly spaced) before it is trusted.
LABEL_SAMPLE = 200
# A given language is the source's default rather than its rows' own where, of the sampled rows lingua reads with
# EVIDENT_CONFIDENCE, more than MAX_CONTRADICTED and at least MIN_CONTRADICTED read as another language (a file that
# says "en" of every row: about half its rows in the multilingual sets). On every labelled set as given, as titles
# alone and as bare titles, where three or more of a language's sampled rows read otherwise, at most 0.19 of them do
# (the demo per language's 16 English bare titles, 3; the tweets, 9 of 137); a language of a few rows may be read
# otherwise in one (one of the blurbs' two Danish one-liners, as Norwegian).
MAX_CONTRADICTED = 0.25
MIN_CONTRADICTED = 3


def contradicted_languages(texts: list[str], given: list[str | None]) -> list[str | None]:
    """For each text, the language lingua reads it in where the language given for it is contradicted, else None.

    A given language is checked where more than MAX_CONTRADICTED of its (sampled) confidently read rows, and at least
    MIN_CONTRADICTED, read as another language: then each of its rows read with EVIDENT_CONFIDENCE as another language
    is that language. A language right for most of its rows is kept for all: lingua confuses close languages (Danish
    and Norwegian), and a language it does not know is kept."""
    rows_of: dict[str, list[int]] = defaultdict(list)
    for row, code in enumerate(given):
        if code:
            rows_of[code].append(row)
    known = sorted(set(rows_of) & set(lingua_codes()))  # lingua reads no other
    samples = {language: rows_of[language][::-(-len(rows_of[language]) // LABEL_SAMPLE)] for language in known}
    sampled = [row for language in known for row in samples[language]]
    read = dict(zip(sampled, _confident_reading([texts[row] for row in sampled], quick=True)))
    checked = []
    for language in known:
        readings = [read[row] for row in samples[language] if read[row] is not None]
        contradicted = sum(code != language for code in readings)
        if contradicted >= MIN_CONTRADICTED and contradicted > MAX_CONTRADICTED * len(readings):
            checked += rows_of[language]
    found: list[str | None] = [None] * len(texts)
    if not checked:  # lingua's full models (a gigabyte) are loaded only for the rows of a default language
        return found
    for row, reading in zip(checked, _confident_reading([texts[row] for row in checked])):
        if reading is not None and reading != given[row]:
            found[row] = reading
    return found


def _confident_reading(texts: list[str], quick: bool = False) -> list[str | None]:
    codes, confidence = language_confidences(texts, quick)
    best = confidence.argmax(axis=1)
    return [codes[k] if confidence[row, k] >= EVIDENT_CONFIDENCE else None for row, k in enumerate(best)]
