"""The outlet registry: a TOML file with one [[outlet]] table per outlet, validated with clear errors."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pycountry

from perspectives.ingest.files import InputError

OWNERSHIP = ("public", "state", "private", "wire")
_KNOWN_KEYS = {"name", "country", "language", "feeds", "ownership", "homepage"}


@dataclass(frozen=True)
class Outlet:
    name: str
    country: str
    language: str
    feeds: tuple[str, ...]
    ownership: str | None = None
    homepage: str | None = None


@dataclass
class Registry:
    path: Path
    outlets: list[Outlet] = field(default_factory=list)

    def languages(self) -> set[str]:
        return {o.language for o in self.outlets}


def _is_web_url(value) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _outlet(path: Path, number: int, table) -> Outlet:
    where = f"{path}: outlet #{number}"
    if not isinstance(table, dict):
        raise InputError(f"{where}: each [[outlet]] must be a table")
    if isinstance(table.get("name"), str) and table["name"].strip():
        where += f" ({table['name']!r})"
    problems = []
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}")
    for key in ("name", "country", "language"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            problems.append(f"'{key}' is required (a string)")
    country, language = str(table.get("country", "")), str(table.get("language", ""))
    if country and pycountry.countries.get(alpha_2=country.upper()) is None:
        problems.append(f"country {country!r} is not an ISO 3166 alpha-2 code")
    if language and (len(language) != 2 or pycountry.languages.get(alpha_2=language.lower()) is None):
        problems.append(f"language {language!r} is not an ISO 639-1 code")
    feeds = table.get("feeds")
    if not isinstance(feeds, list) or not feeds:
        problems.append("'feeds' must be a non-empty list of http(s) URLs")
    else:
        problems += [f"feed {f!r} is not an http(s) URL" for f in feeds if not _is_web_url(f)]
    if table.get("ownership") is not None and table["ownership"] not in OWNERSHIP:
        problems.append(f"ownership {table['ownership']!r} is not one of {', '.join(OWNERSHIP)}")
    if table.get("homepage") is not None and not _is_web_url(table["homepage"]):
        problems.append(f"homepage {table['homepage']!r} is not an http(s) URL")
    if problems:
        raise InputError(f"{where}: {'; '.join(problems)}")
    return Outlet(table["name"].strip(), country.upper(), language.lower(), tuple(feeds), table.get("ownership"),
                  table.get("homepage"))


def load_registry(path: str | Path) -> Registry:
    """Read and validate an outlet registry; raises InputError with one line naming the file, outlet and field."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 encoded") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    tables = data.get("outlet")
    if not isinstance(tables, list) or not tables:
        raise InputError(f"{path}: no [[outlet]] tables found")
    outlets = [_outlet(path, i, t) for i, t in enumerate(tables, start=1)]
    names = [o.name for o in outlets]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{path}: outlet name(s) used twice: {', '.join(duplicated)}")
    return Registry(path, outlets)
