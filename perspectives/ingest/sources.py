"""The outlet registry: a TOML file with one [[outlet]] table per outlet, validated with clear errors; imported
from and exported to OPML, the subscription lists RSS readers exchange."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pycountry
import tomli_w
from lxml import etree

from perspectives.ingest.files import InputError
from perspectives.ingest.schema import country_code, is_web_url, language_code

OWNERSHIP = ("public", "state", "private", "wire")
_KNOWN_KEYS = {"name", "country", "language", "feeds", "ownership", "homepage", "verified", "origin"}
# Registry fields an exported OPML outline carries besides the standard ones (OPML 2.0 allows any attribute).
_OPML_EXTRA = ("country", "ownership", "origin", "verified")


@dataclass(frozen=True)
class Outlet:
    name: str
    country: str
    language: str
    feeds: tuple[str, ...]
    ownership: str | None = None
    homepage: str | None = None
    verified: bool | None = None  # False: written from knowledge, its feeds never fetched
    origin: str | None = None  # the published list the entry was copied from


@dataclass
class Registry:
    path: Path
    outlets: list[Outlet] = field(default_factory=list)

    def languages(self) -> set[str]:
        return {o.language for o in self.outlets}


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
    given_country, given_language = str(table.get("country", "")), str(table.get("language", ""))
    country, language = country_code(given_country), language_code(given_language)
    if given_country and country is None:
        problems.append(f"country {given_country!r} is not an ISO 3166 code (alpha-2 or alpha-3) or name")
    if given_language and language is None:
        problems.append(f"language {given_language!r} is not an ISO 639 code, language tag or name")
    elif given_language and not language:
        problems.append(f"language {given_language!r} has no two-letter ISO 639-1 code, which the registry keeps")
    feeds = table.get("feeds")
    if not isinstance(feeds, list) or not feeds:
        problems.append("'feeds' must be a non-empty list of http(s) URLs")
    else:
        problems += [f"feed {f!r} is not an http(s) URL" for f in feeds if not is_web_url(f)]
    if table.get("ownership") is not None and table["ownership"] not in OWNERSHIP:
        problems.append(f"ownership {table['ownership']!r} is not one of {', '.join(OWNERSHIP)}")
    if table.get("homepage") is not None and not is_web_url(table["homepage"]):
        problems.append(f"homepage {table['homepage']!r} is not an http(s) URL")
    if table.get("verified") is not None and not isinstance(table["verified"], bool):
        problems.append("'verified' must be true or false")
    if table.get("origin") is not None and (not isinstance(table["origin"], str) or not table["origin"].strip()):
        problems.append("'origin' must be a non-empty string")
    if problems:
        raise InputError(f"{where}: {'; '.join(problems)}")
    assert isinstance(feeds, list) and country and language  # a problem otherwise
    return Outlet(table["name"].strip(), country, language, tuple(feeds), table.get("ownership"),
                  table.get("homepage"), table.get("verified"), table.get("origin"))


def load_registry(path: str | Path) -> Registry:
    """Read and validate an outlet registry; raises InputError with one line naming the file, outlet and field."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        return parse_registry(path.read_text(encoding="utf-8"), path)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 encoded") from None


def parse_registry(text: str, path: Path) -> Registry:
    """Validate registry text (`path` names it in errors)."""
    try:
        data = tomllib.loads(text)
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


def outlet_table(outlet: Outlet) -> dict:
    """The registry table of an outlet, optional fields only when set."""
    table = {"name": outlet.name, "country": outlet.country, "language": outlet.language,
             "ownership": outlet.ownership, "homepage": outlet.homepage, "feeds": list(outlet.feeds),
             "verified": outlet.verified, "origin": outlet.origin}
    return {key: value for key, value in table.items() if value is not None}


def export_opml(registry: Registry, title: str | None = None) -> str:
    """The registry as OPML 2.0: one folder per country, one outline per feed (an outlet with several feeds has
    several outlines of the same name), carrying every registry field so that `import_opml` restores it."""
    root = etree.Element("opml", version="2.0")
    etree.SubElement(etree.SubElement(root, "head"), "title").text = title or registry.path.stem
    body = etree.SubElement(root, "body")
    folders: dict[str, etree._Element] = {}
    for outlet in registry.outlets:
        if outlet.country not in folders:
            country = pycountry.countries.get(alpha_2=outlet.country)
            assert country is not None, f"{outlet.name}: unknown country {outlet.country!r}"  # checked on loading
            folders[outlet.country] = etree.SubElement(body, "outline", text=country.name)
        table = outlet_table(outlet)
        extra = {key: str(table[key]).lower() if key == "verified" else table[key]
                 for key in _OPML_EXTRA if key in table}
        for feed in outlet.feeds:
            standard = {"type": "rss", "text": outlet.name, "title": outlet.name, "xmlUrl": feed,
                        "htmlUrl": outlet.homepage, "language": outlet.language}
            etree.SubElement(folders[outlet.country], "outline",
                             {k: v for k, v in standard.items() if v is not None} | extra)
    etree.indent(root)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True).decode()


def read_opml(path: str | Path) -> list[dict]:
    """The attributes (names in lower case) of every feed outline, i.e. one with an xmlUrl, in an OPML file, folders
    flattened. Lists in the wild are often not well-formed XML (bare `&` in URLs, quotes inside attributes): those
    are read the way browsers read HTML, as listparser does."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        root = etree.fromstring(data, etree.HTMLParser(recover=True, no_network=True))
    if root is None or (root.tag != "opml" and next(root.iter("opml"), None) is None):
        raise InputError(f"{path}: not an OPML file (no <opml> element)")
    feeds = [{key.lower(): value for key, value in outline.attrib.items()} for outline in root.iter("outline")]
    return [feed for feed in feeds if feed.get("xmlurl", "").strip()]


def _opml_outlet(feed: dict, country: str | None, language: str | None, origin: str | None) -> dict:
    """A registry table from one feed outline; the outline's own fields win over the defaults given."""
    url = feed["xmlurl"].strip()
    name = (feed.get("title") or feed.get("text") or "").strip() or urlparse(url).netloc
    given_country, given_language = feed.get("country") or country, feed.get("language") or language
    # in registry form where they read as codes; as written otherwise, for the registry's check to name them
    table = {"name": name, "country": given_country and (country_code(given_country) or given_country),
             "language": given_language and (language_code(given_language) or given_language),
             "ownership": feed.get("ownership"), "homepage": feed.get("htmlurl") or None, "feeds": [url],
             "verified": {"true": True, "false": False}.get(feed.get("verified", "")),
             # an outline that says where it comes from (as exported ones do) keeps that
             "origin": feed.get("origin") or (None if "verified" in feed else origin)}
    return {key: value for key, value in table.items() if value is not None}


def outlets_from_opml(path: str | Path, country: str | None = None, language: str | None = None,
                      origin: str | None = None) -> list[dict]:
    """Registry tables from an OPML file: outlines of the same name are one outlet with several feeds.
    `country`, `language` and `origin` fill in what an outline does not say (OPML outlines may carry a language;
    those written by `export_opml` carry every registry field, provenance included)."""
    outlets: dict[str, dict] = {}
    for feed in read_opml(path):
        table = _opml_outlet(feed, country, language, origin)
        if table["name"] in outlets:
            known = outlets[table["name"]]["feeds"]
            known += [url for url in table["feeds"] if url not in known]
        else:
            outlets[table["name"]] = table
    return list(outlets.values())


@dataclass
class Imported:
    added: list[str] = field(default_factory=list)  # outlet names
    skipped: dict[str, str] = field(default_factory=dict)  # outlet name -> why


def import_opml(opml: str | Path, registry: str | Path, country: str | None = None, language: str | None = None,
                origin: str | None = None) -> Imported:
    """Append the outlets of an OPML file to a registry (created when missing), skipping those it already has
    by name or by feed. The whole registry is validated before anything is written."""
    registry = Path(registry)
    old = registry.read_text(encoding="utf-8") if registry.exists() else ""
    known = parse_registry(old, registry).outlets if old.strip() else []
    names, feeds = {o.name for o in known}, {f for o in known for f in o.feeds}
    result, new = Imported(), []
    for table in outlets_from_opml(opml, country, language, origin):
        if table["name"] in names:
            result.skipped[table["name"]] = "an outlet of this name is in the registry"
        elif set(table["feeds"]) & feeds:
            result.skipped[table["name"]] = "its feed is in the registry"
        else:
            new.append(table)
            result.added.append(table["name"])
            names.add(table["name"])
            feeds.update(table["feeds"])
    unplaced = [t["name"] for t in new if "country" not in t or "language" not in t]
    if unplaced:
        raise InputError(f"{opml}: {len(unplaced)} outline(s) do not say their country or language (e.g. "
                         f"{unplaced[0]!r}): give the country and language of the list (--country, --language)")
    if new:
        text = old + ("\n" if old and not old.endswith("\n\n") else "") + "\n".join(
            tomli_w.dumps({"outlet": [table]}) for table in new)
        parse_registry(text, registry)  # an invalid code or URL names its outlet here, before writing
        registry.write_text(text, encoding="utf-8")
    return result
