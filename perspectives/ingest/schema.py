"""The article schema and the per-row checks that decide whether a row can be used."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import pycountry

REQUIRED = ("id", "outlet", "title", "text")
OPTIONAL = ("url", "country", "language", "published_at", "title_en", "text_en")
COLUMNS = REQUIRED + OPTIONAL

_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_LONGEST_DATE = 100


@dataclass(frozen=True)
class RowError:
    reason: str


def _clean(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _country(code: str) -> str | RowError:
    if pycountry.countries.get(alpha_2=code.upper()) is None:
        return RowError(f"invalid country {code!r} (expected an ISO 3166 alpha-2 code such as 'SE')")
    return code.upper()


def _language(code: str) -> str | RowError:
    if len(code) != 2 or pycountry.languages.get(alpha_2=code.lower()) is None:
        return RowError(f"invalid language {code!r} (expected an ISO 639-1 code such as 'sv')")
    return code.lower()


def _published_at(value: str) -> str | RowError:
    stamp = pd.NaT
    if len(value) <= _LONGEST_DATE:  # no date is longer, and pandas' fallback parser can take seconds on long text
        stamp = pd.to_datetime(value, utc=True, errors="coerce", format="ISO8601")
        if pd.isna(stamp):
            stamp = pd.to_datetime(value, utc=True, errors="coerce")
    if pd.isna(stamp):
        return RowError(f"invalid published_at {value[:_LONGEST_DATE]!r} (expected an ISO 8601 date or time)")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _url(value: str) -> str | RowError:
    if not _URL.match(value):
        return RowError(f"invalid url {value!r} (only http and https links are kept)")
    return value


_NORMALISERS = {"country": _country, "language": _language, "published_at": _published_at, "url": _url}


def validate_row(record: dict) -> dict | RowError:
    """Return the normalised article, or the reason it cannot be used."""
    article = {key: _clean(record.get(key)) for key in COLUMNS}
    for key in REQUIRED:
        if not article[key]:
            return RowError(f"missing {key}")
    for key, normalise in _NORMALISERS.items():
        if article[key]:
            value = normalise(article[key])
            if isinstance(value, RowError):
                return value
            article[key] = value
    extras = {k: v for k, v in record.items() if k not in COLUMNS}
    return {**{k: (v or None) for k, v in article.items()}, "extra": extras}
