"""The article schema and the per-row checks that decide whether a row can be used."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from urllib.parse import urlparse

import pandas as pd
import pycountry
from babel import Locale
from babel.localedata import locale_identifiers
from ftfy import fix_encoding

from perspectives.ingest.markup import html_to_text, is_markup, read_references
from perspectives.text import present

REQUIRED = ("id",)
# A row needs at least one of these: titles-only feeds and one-line summaries are articles too.
CONTENT = ("title", "text")
OPTIONAL = ("url", "country", "language", "published_at", "title_en", "text_en")
COLUMNS = ("id", "outlet") + CONTENT + OPTIONAL
# The fields of words, which may come as HTML or with character references ("&#8217;").
TEXT_FIELDS = ("title", "text", "title_en", "text_en")
# The outlet of a row that names none and has no link to read it from: one name for all such rows, so that they
# are never taken for wire copies of one another (copies run in different outlets).
UNKNOWN_OUTLET = "unknown"

# Other names common news datasets give a column, taken where the file lacks the column itself (first match wins;
# a name's case never matters). A gold label's usual names ("story", "event", "label") are never read as content.
ALIASES = {
    "id": ("article_id", "doc_id", "document_id", "guid"),
    "outlet": ("source", "source_name", "publisher", "publication", "site", "domain", "newspaper"),
    "title": ("headline", "heading"),
    "text": ("body", "content", "article", "full_text", "summary", "description", "abstract", "snippet",
             "text_cleaned", "cleaned_text", "clean_text", "tweet"),
    "url": ("link", "href", "permalink"),
    "country": ("country_code",),
    "language": ("lang", "language_code", "locale"),
    "published_at": ("date", "published", "pubdate", "pub_date", "published_date", "publish_date",
                     "publication_date", "datetime"),
}

# No date is longer; nor is the part of a value not read that a row keeps (`extra.<field>_given`).
_LONGEST_DATE = 100
# Unix time by its digits: seconds (2001-2286) or milliseconds; eight digits stay a date (20250808).
_UNIX_UNITS = {10: "s", 13: "ms"}


@dataclass(frozen=True)
class RowError:
    reason: str


# The members an API nests a field's value under, in the order read: NewsAPI's `"source": {"id": "bbc-news", "name":
# "BBC News"}`, WordPress's `"title": {"rendered": "..."}`.
# MongoDB's extended JSON nests an id as `{"$oid": "..."}` and a date as `{"$date": ...}` (an ISO text, or
# `{"$numberLong": "1754638200000"}`).
NESTED_VALUE = ("name", "title", "rendered", "text", "value", "$oid", "$date", "$numberLong")
# NewsAPI cuts its `content` to 200 characters and says how many it left out: "... [+2345 chars]". No leading
# whitespace in the pattern: searched for, it would be tried from every space of a long run (quadratic).
_CUT_MARK = re.compile(r"\[\+(\d+) chars\]$")


def clean(value) -> str:
    """A field's value as stripped text ("" where missing); an object's, its member named in NESTED_VALUE, else the
    object as JSON."""
    if isinstance(value, dict):
        member = next((key for key in NESTED_VALUE if present(value.get(key))), None)
        if member is not None:
            return clean(value[member])
        return json.dumps(value, ensure_ascii=False, default=str) if any(map(present, value.values())) else ""
    return str(value).strip() if present(value) else ""


def is_web_url(value) -> bool:
    """An absolute http(s) URL with a host: the only links kept, fetched or shown (no javascript: or data:)."""
    if not isinstance(value, str):
        return False
    parsed = urlparse(value.strip())
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and not any(c.isspace() for c in parsed.netloc)


def is_country_code(code: str) -> bool:
    """An ISO 3166 alpha-2 code, in either case."""
    return pycountry.countries.get(alpha_2=code.upper()) is not None


@lru_cache(maxsize=2)
def _by_name(database: str) -> dict:
    """The entries of a pycountry database ("countries", "languages") by their English names (name, official and
    common name), lower-cased: pycountry's own `lookup` scans every entry (3 ms a miss among 7,900 languages), and a
    file of distinct values would pay that per row."""
    names = ("name", "official_name", "common_name")
    return {getattr(entry, key).lower(): entry for entry in getattr(pycountry, database) for key in names
            if hasattr(entry, key)}


def _named(database: str, name: str):
    """The entry with this English name, in any case; None."""
    return _by_name(database).get(name.lower())


@lru_cache(maxsize=4096)  # a file repeats a handful of values
def country_code(code: str) -> str | None:
    """The ISO 3166 alpha-2 code of a country written as its alpha-2 or alpha-3 code ('SE', 'swe', 'U.S.'), its
    name as ISO 3166 writes it ('Sweden', 'Russian Federation'), as the Unicode CLDR names it in any language
    ('Russia', 'UK', 'Deutschland', 'Россия', 'Turkey') or as `COUNTRY_ALIASES` does; None otherwise."""
    stripped = code.strip()
    upper = stripped.replace(".", "").upper()
    found = None
    if len(upper) == 2:
        found = pycountry.countries.get(alpha_2=upper)
    elif len(upper) == 3:
        found = pycountry.countries.get(alpha_3=upper)
    if found is not None:
        return found.alpha_2
    found = _named("countries", stripped)
    if found is not None:
        return found.alpha_2
    name = re.sub(r"^the\s+", "", stripped.casefold())
    return _cldr_countries().get(name) or _cldr_countries().get(upper.casefold()) or COUNTRY_ALIASES.get(name)


# Names of a country's part or short forms that no ISO or CLDR entry gives, common in outlet lists: an outlet of
# Scotland is one of the United Kingdom.
COUNTRY_ALIASES = {"britain": "GB", "great britain": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
                   "uae": "AE", "palestine": "PS", "drc": "CD", "dr congo": "CD", "macedonia": "MK"}


@lru_cache(maxsize=1)
def _cldr_countries() -> dict[str, str]:
    """Every ISO 3166 country's names in the Unicode CLDR's languages (babel's data; its English short forms, "UK",
    among them), case folded, to its alpha-2 code; a name two countries share in some language ("Kongo") is left
    out. Built once, on the first name ISO 3166 does not give (a second here)."""
    codes = {country.alpha_2 for country in pycountry.countries}
    named: dict[str, set[str]] = {}
    for identifier in locale_identifiers():
        if "_" not in identifier:  # a language's regional variants repeat its names
            for territory, name in Locale.parse(identifier).territories.items():
                if territory in codes:
                    named.setdefault(name.casefold(), set()).add(territory)
    return {name: next(iter(found)) for name, found in named.items() if len(found) == 1}


@lru_cache(maxsize=4096)
def language_code(code: str) -> str | None:
    """The ISO 639-1 code of a language written in any ISO 639 code ('sv', 'swe'; 'ger' as well as 'deu'), as a
    BCP 47 tag ('pt-BR', 'zh-Hant', 'en_US') or by its name as ISO 639 writes it ('Swedish'), in any case; "" for a
    language these name that has no ISO 639-1 code ('yue', 'ceb', 'Yue Chinese'); None for anything else."""
    primary = re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()
    if len(primary) == 2:
        found = pycountry.languages.get(alpha_2=primary)
    elif len(primary) == 3:
        found = pycountry.languages.get(alpha_3=primary) or pycountry.languages.get(bibliographic=primary)
    else:
        found = _named("languages", code.strip())
    return None if found is None else getattr(found, "alpha_2", "")


def _language(code: str) -> str:
    """The ISO 639-1 code, or "" (the language is then detected) for a language without one or a code not understood
    (Wikipedia's "simple" for Simple English, "roa-rup")."""
    return language_code(code) or ""


def utc_text(value: str, day_first: bool = False) -> str | None:
    """A date or time in any form pandas reads (ISO 8601 first), or Unix time in seconds (10 digits) or
    milliseconds (13: what pandas' `to_json` writes), as UTC ISO 8601 (`iso_utc`), or None: the one date parser of
    every input, files and feeds alike. `day_first` reads a date of numbers with the year last (07/08/2025) as day,
    month, year."""
    if len(value) > _LONGEST_DATE:  # no date is longer, and pandas' fallback parser can take seconds on long text
        return None
    if value.isascii() and value.isdigit() and len(value) in _UNIX_UNITS:
        return iso_utc(pd.to_datetime(int(value), unit=_UNIX_UNITS[len(value)], utc=True))
    stamp = pd.to_datetime(value, utc=True, errors="coerce", format="ISO8601")
    if pd.isna(stamp):
        stamp = pd.to_datetime(value, utc=True, errors="coerce", dayfirst=day_first and bool(NUMERIC_DATE.match(value)))
    return iso_utc(stamp)


# The dates a stamp may hold: pandas' timestamps (in nanoseconds) span 1677-09-21 to 2262-04-11, and the store
# compares dates as ISO text, which needs years of four digits. Outside them a date is a typo or a system's "no date"
# (.NET's and Go's 0001-01-01, 9999-12-31).
EARLIEST_DATE = pd.Timestamp("1678-01-01", tz="UTC")
LATEST_DATE = pd.Timestamp("2261-12-31", tz="UTC")
# The moments systems write for "no date": Unix time 0 (in any time zone), SQL Server's and Excel's day zero, and
# Excel for Mac's. Taken as dates, the articles that carry one were compared with one another alone, decades from
# their stories.
PLACEHOLDER_DATES = frozenset(pd.Timestamp(day, tz="UTC") for day in ("1970-01-01", "1900-01-01", "1899-12-30",
                                                                       "1899-12-31", "1904-01-01"))


def iso_utc(stamp) -> str | None:
    """A timestamp (aware, UTC) as the store writes it, "2025-08-08T07:30:00Z"; None for no time (NaT), one outside
    EARLIEST_DATE and LATEST_DATE, or a placeholder (PLACEHOLDER_DATES)."""
    if pd.isna(stamp) or not EARLIEST_DATE <= stamp <= LATEST_DATE or stamp in PLACEHOLDER_DATES:
        return None
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


# A date of numbers with the year last: 07/08/2025, 7.8.25, 07-08-2025 14:30. Whether the day or the month comes
# first is the file's convention, not the row's (`dates_day_first`); pandas' warning that it read one row's date
# day first (13/08/2025) says nothing to a user. A process-wide filter: catching it per call is not thread-safe.
NUMERIC_DATE = re.compile(r"\s*(\d{1,2})([./-])(\d{1,2})\2(?:\d{4}|\d{2})(?!\d)")
warnings.filterwarnings("ignore", message="Parsing dates in .* format when dayfirst=", category=UserWarning)


def dates_day_first(values: Iterable) -> bool:
    """Whether a column's dates of numbers put the day first: where one has a first number over 12 (13/08/2025) or
    dots (07.08.2025, as German, Russian or Nordic dates are written) and none a second number over 12 (08/13/2025,
    as American dates are written). Read row by row, 07/08/2025 would be 8 July in a file whose 13/08/2025 is 13
    August, and a story's reports would be months apart."""
    day = month = False
    for value in values:
        found = NUMERIC_DATE.match(value) if isinstance(value, str) else None
        if found:
            day |= int(found[1]) > 12 or found[2] == "."
            month |= int(found[3]) > 12
    return day and not month


def _url(value: str) -> str | RowError:
    if not is_web_url(value):
        return RowError(f"invalid url {value!r} (only http and https links are kept)")
    return value


def site_of(url: str) -> str | None:
    """The host of a web link without "www." (what a reader calls the site: 'svt.se'), lower-cased; None for no link."""
    host = urlparse(url).hostname if is_web_url(url) else None
    return host.removeprefix("www.") if host else None


def _spelling(name) -> str:
    """A column name as its words read, case and separators aside: `textCleaned`, `Text Cleaned`, `text_cleaned`
    and `text-cleaned` are one name."""
    return re.sub(r"[\W_]+", "", str(name).lower())


def read_as(columns) -> dict[str, str]:
    """The given column names to read as the schema's (`{"Headline": "title", "date": "published_at"}`): a schema
    column the file lacks is taken from its name spelt otherwise (`Title`, `Published At`), else from its first
    alias present, spelt any way."""
    by_spelling: dict[str, str] = {}
    for name in columns:
        by_spelling.setdefault(_spelling(name), name)
    renames = {}
    for column in COLUMNS:
        if column in columns:
            continue
        given = next((by_spelling[_spelling(n)] for n in (column, *ALIASES.get(column, ()))
                      if _spelling(n) in by_spelling), None)
        if given is not None and given not in renames:
            renames[given] = column
    return renames


def _outlet_from(url: str) -> tuple[str, str]:
    """A missing outlet: the link's site (`site_of`), else UNKNOWN_OUTLET."""
    site = site_of(url)
    return (site, "url") if site else (UNKNOWN_OUTLET, "missing")


_NORMALISERS: dict[str, Callable[[str], str | RowError | None]] = {"country": country_code, "language": _language,
                                                                    "published_at": utc_text, "url": _url}


def repair_encoding(article: dict) -> list[str]:
    """Mend, in place, text that was UTF-8 once read as Windows-1252 or Latin-1 and saved again ("cafÃ©", "Ð¿Ñ€Ð¸"),
    as a tool on the way may have left it (ftfy); returns the fields mended."""
    repaired = []
    for key in (*TEXT_FIELDS, "outlet"):
        fixed = fix_encoding(article[key]) if isinstance(article[key], str) else article[key]
        if fixed is not article[key] and fixed != article[key]:
            article[key] = fixed
            repaired.append(key)
    return repaired


def validate_row(record: dict, day_first: bool = False) -> dict | RowError:
    """Return the normalised article, or the reason it cannot be used (`day_first`: see `utc_text`)."""
    article = {key: clean(record.get(key)) for key in COLUMNS}
    repaired = repair_encoding(article)
    markup = [key for key in TEXT_FIELDS if is_markup(article[key])]  # a CMS's export, a scraper's
    for key in TEXT_FIELDS:
        article[key] = (html_to_text(article[key], paragraphs=key in ("text", "text_en")) if key in markup
                        else read_references(article[key]))
    for key in REQUIRED:
        if not article[key]:
            return RowError(f"missing {key}")
    if not any(article[key] for key in CONTENT):
        return RowError("missing title and text")
    extras = {k: v for k, v in record.items() if k not in COLUMNS}
    extras |= {f"{key}_given": record[key] for key in COLUMNS if isinstance(record.get(key), dict)}
    if markup:
        extras["markup"] = "html"
    if repaired:
        extras["encoding_repaired"] = repaired
    if cut := _CUT_MARK.search(article["text"]):
        article["text"], extras["text_chars_cut"] = article["text"][:cut.start()].rstrip(), int(cut[1])
    if not article["outlet"]:
        article["outlet"], extras["outlet_source"] = _outlet_from(article["url"])
    normalisers = _NORMALISERS | {"published_at": partial(utc_text, day_first=day_first)}
    for key, normalise in normalisers.items():
        if article[key]:
            value = normalise(article[key])
            if isinstance(value, RowError):
                return value
            if not value:  # not read: the field is left empty (a language is then detected), the article kept
                extras.setdefault(f"{key}_given", article[key][:_LONGEST_DATE])
            article[key] = value or ""
    # A missing title or text is "" (the store's columns are NOT NULL), every other missing value None.
    return {**{k: v if k in CONTENT else (v or None) for k, v in article.items()}, "extra": extras}
