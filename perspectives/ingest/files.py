"""Read article files (CSV, JSON, JSON lines, Parquet, workbooks), keep every usable row and explain every rejected
one."""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import json
import lzma
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeAlias

import pandas as pd

from perspectives.ingest.boilerplate import strip_boilerplate
from perspectives.ingest.normalise import contradicted_languages, detect_languages, renamed, same_article
from perspectives.ingest.schema import (
    ALIASES,
    COLUMNS,
    CONTENT,
    RowError,
    clean,
    dates_day_first,
    read_as,
    validate_row,
)
from perspectives.ingest.titles import strip_site_names
from perspectives.text import without_nan

REJECT_COLUMNS = ["file", "row", "id", "reason", "record"]


# json itself reads about 1000 levels, but a value that deep fails again wherever it is read or written with less
# stack to spare (the store, the app); real metadata nests a few levels.
MAX_JSON_NESTING = 100
TOO_DEEP = RowError("invalid JSON: nested too deeply")

# A file's rows with their row numbers: a record, or why the row could not be read as one.
Records = list[tuple[int, dict | RowError]]


class InputError(Exception):
    """A whole file cannot be read; the message is one line meant for the user."""


@dataclass
class LoadResult:
    """Articles that passed validation and the rows that did not, each with its reason."""

    articles: pd.DataFrame
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    outlets_missing: int = 0  # loaded without an outlet (named by their link's site, title's site or "unknown")
    columns_read_as: dict[str, str] = field(default_factory=dict)  # a file's own column name -> the schema's
    ids_from_rows: int = 0  # rows of a source without ids, each named by the source and its row number
    dates_day_first: list[str] = field(default_factory=list)  # sources whose dates of numbers put the day first
    site_names_read_off: int = 0  # articles whose title ended in a site or section name, read off
    boilerplate_read_off: int = 0  # articles whose body held their outlet's boilerplate, read off
    languages_contradicted: int = 0  # rows whose given language (a source's default) their text contradicts
    # Per field (UNREAD_FIELDS), the values given that could not be read, and how often: their rows are kept without.
    values_unread: dict[str, Counter] = field(default_factory=dict)
    ids_reused: int = 0  # rows under an id another article of the read has (`normalise.same_article`), renamed


# Text files are often kept compressed (`articles.jsonl.gz`): read through the module of their last suffix.
_COMPRESSED = {".gz": gzip, ".bz2": bz2, ".xz": lzma}


def _format(path: Path) -> str:
    """The file's format suffix, lower-cased, a compression suffix after it aside (`.csv` for `a.CSV.gz`)."""
    suffixes = [suffix.lower() for suffix in path.suffixes[-2:]]
    return suffixes[0] if len(suffixes) == 2 and suffixes[1] in _COMPRESSED else path.suffix.lower()


# What a text file is read as unless told otherwise: UTF-8, or what its byte-order mark declares (Excel's "Unicode
# text" is UTF-16 with one). Other encodings are not guessed: charset detection reads a short Latin-1 French line as
# cp1250 ("Très" -> "Trčs") and would corrupt text silently; the user names the encoding.
UTF8 = "utf-8"
_MARKED = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
           (codecs.BOM_UTF16_BE, "utf-16"), (codecs.BOM_UTF8, "utf-8-sig"))


def _text_codec(name: str) -> str:
    """The codec `name` stands for (`latin-1` -> `iso8859-1`); raises InputError for a name Python does not know."""
    try:
        b"a".decode(name)  # refused for a codec of bytes to bytes (base64, zlib), which is no text encoding
    except LookupError:
        raise InputError(f"unknown text encoding {name!r} (e.g. utf-8, cp1252, latin-1, shift_jis)") from None
    except UnicodeError:  # one byte is no whole character in UTF-16 or UTF-32
        pass
    return codecs.lookup(name).name


def _decode(path: Path, encoding: str = UTF8) -> str:
    module = _COMPRESSED.get(path.suffix.lower())
    try:
        raw = module.decompress(path.read_bytes()) if module else path.read_bytes()
    except (OSError, EOFError, lzma.LZMAError) as exc:  # gzip's BadGzipFile is an OSError
        raise InputError(f"{path}: not a readable {path.suffix.lower()[1:]} file ({exc})") from None
    codec = named = _text_codec(encoding)
    if named == UTF8:
        codec = next((marked for mark, marked in _MARKED if raw.startswith(mark)), UTF8)
    if b"\x00" in raw[:8192] and not codec.startswith(("utf-16", "utf-32")):
        raise InputError(f"{path}: not a text file (it contains binary data)")
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        given = encoding if named != UTF8 else codec.upper().removesuffix("-SIG")
        advice = ("re-save the file as UTF-8, or name its encoding: --encoding cp1252 (encoding= in Python)"
                  if named == UTF8 else "name the encoding it was written in")
        raise InputError(f"{path}: not {given} encoded (invalid byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                         f"{advice}") from None
    return text.removeprefix("\ufeff")  # the mark, where a named encoding (utf-16-le) keeps it


# What spreadsheets write between fields: commas, or semicolons where the comma is the decimal mark (Excel in most
# of Europe), tabs, bars.
DELIMITERS = ",;\t|"
_HEADER_READ = 65536  # characters of the header line the delimiter is read from: no header is longer


def _delimiter(header: str, default: str) -> str:
    """The delimiter that splits a CSV file's header line into the most columns (`default` first among equals).
    The csv module's own parser reads each candidate, in linear time: csv.Sniffer's regular expressions take
    seconds on a hostile header of quotes and commas."""
    def columns(delimiter: str) -> int:
        try:
            return len(next(csv.reader([header], delimiter=delimiter), []))
        except csv.Error:  # a stray character the csv module refuses: read as one column
            return 1

    return max(sorted(DELIMITERS, key=lambda d: d != default), key=columns)


def _csv_records(path: Path, text: str) -> Records:
    header = text[:_HEADER_READ].splitlines()[:1]
    sep = _delimiter(header[0] if header else "", "\t" if _format(path) == ".tsv" else ",")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, on_bad_lines="error")
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(f"{path}: not a readable CSV file ({str(exc).splitlines()[0]})") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty") from None
    _check_columns(path, frame.columns)
    # Row numbers are the file's line numbers (the header is line 1).
    return [(i + 2, record) for i, record in enumerate(frame.to_dict("records"))]


def _jsonl_records(path: Path, text: str) -> Records:
    records: Records = []
    seen_columns: set[str] = set()
    # Lines end at "\n" (and "\r\n") alone: JSON strings may hold U+2028, U+0085 and the other breaks splitlines takes.
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        record = _json_record(line)
        if isinstance(record, dict):
            seen_columns.update(record)
        records.append((line_no, record))
    if not records:
        raise InputError(f"{path}: the file is empty")
    _check_columns(path, seen_columns)
    return records


def _json_records(path: Path, text: str) -> Records:
    """A JSON file of articles: an array of objects, an object holding one such array (`{"articles": [...]}`), or a
    table as pandas' `to_json` writes one (`{"title": {"0": ...}}`, or `{"0": {"title": ...}}`). Rows are numbered
    from 1 in the array's order."""
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    document = _json_value(text)
    if isinstance(document, RowError):
        raise InputError(f"{path}: {document.reason}")
    items = _json_items(document)
    if items is None:
        raise InputError(f"{path}: not a list of articles (an array of objects, or an object holding one array)")
    records: Records = [(row, _json_object(item, "an item of the array")) for row, item in enumerate(items, start=1)]
    if not records:
        raise InputError(f"{path}: the file is empty")
    _check_columns(path, {column for _, record in records if isinstance(record, dict) for column in record})
    return records


def _json_items(document) -> list | None:
    """The articles a JSON document holds (see `_json_records`), or None where it holds no list of them."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict) or not document:
        return None
    arrays = [value for value in document.values() if isinstance(value, list) and value and isinstance(value[0], dict)]
    if len(arrays) == 1:
        return arrays[0]
    if not all(isinstance(value, dict) for value in document.values()):
        return None
    if _has_content(set().union(*document.values())):  # {row: {column: value}}
        return list(document.values())
    rows = dict.fromkeys(row for column in document.values() for row in column)  # {column: {row: value}}
    return [{name: column[row] for name, column in document.items() if row in column} for row in rows]


def _json_record(line: str) -> dict | RowError:
    """One JSON line as a dict, or why it cannot be one: every way json fails on hostile input is a reject."""
    record = _json_value(line)
    return record if isinstance(record, RowError) else _json_object(record, "a line")


def _json_value(text: str):
    """The value of a JSON text, or a RowError saying why it has none."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}" if exc.lineno > 1 else f"column {exc.colno}"
        return RowError(f"invalid JSON ({exc.msg} at {where})")
    except RecursionError:
        return TOO_DEEP
    except ValueError as exc:  # a number json reads but Python will not convert (over 4300 digits)
        return RowError(f"invalid JSON ({str(exc).split(';')[0]})")


def _json_object(record, what: str) -> dict | RowError:
    """`record` if it is one object that the store can hold, else why not (`what` names where it was read)."""
    if not isinstance(record, dict):
        return RowError(f"invalid JSON ({what} must hold one object)")
    if _nesting(record) > MAX_JSON_NESTING:
        return TOO_DEEP
    try:  # written back as JSON (the store, rejects.csv) in UTF-8, which a lone surrogate (\ud800) cannot be
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        return RowError(f"invalid JSON (a lone surrogate {exc.object[exc.start]!r} in a string)")
    return record


def _nesting(value) -> int:
    """How deeply lists and objects nest in `value`, found without recursing (the values in question are too deep)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _parquet_records(path: Path) -> Records:
    try:
        frame = pd.read_parquet(path)
        # Partition columns (e.g. day=2025-08-07 folders) come back as categories: plain values are wanted.
        frame = frame.astype({c: object for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
    except Exception as exc:  # pyarrow raises several unrelated types for a corrupt file
        raise InputError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    return _frame_records(path, frame, first_row=1)


def _frame_records(name, frame: pd.DataFrame, first_row: int) -> Records:
    """A frame's rows as records (missing values None), numbered from `first_row`."""
    _check_columns(name, frame.columns)
    return [(i + first_row, record) for i, record in enumerate(without_nan(frame).to_dict("records"))]


def _spreadsheet_records(path: Path) -> Records:
    """The first sheet with cells of an Excel or OpenDocument workbook, its first row the header, read as text as a
    CSV file is (a date cell as `2025-08-07 12:30:00`, a formula as its saved value)."""
    try:
        with pd.ExcelFile(path, engine="calamine") as workbook:
            sheets = (pd.read_excel(workbook, name, dtype=str, keep_default_na=False) for name in workbook.sheet_names)
            frame = next((sheet for sheet in sheets if not sheet.columns.empty), None)
    except Exception as exc:  # calamine raises its own error, zipfile's or a ValueError for a damaged workbook
        raise InputError(f"{path}: not a readable spreadsheet ({str(exc).splitlines()[0]})") from None
    if frame is None:
        raise InputError(f"{path}: the workbook is empty")
    return _frame_records(path, frame, first_row=2)


def _has_content(columns) -> bool:
    """Whether columns of these names give a row a title or a text (under the schema's names or others)."""
    return bool(set(CONTENT) & (set(columns) | set(read_as(columns).values())))


def _check_columns(path: Path | str, columns) -> None:
    if not _has_content(columns):
        others = ", ".join(name for column in CONTENT for name in ALIASES[column])
        raise InputError(f"{path}: no {' or '.join(CONTENT)} column (a row needs at least one of them; read as them "
                         f"too: {others})")


# Readers of the text formats take the file's decoded text; the others read their bytes themselves.
_TEXT_READERS = {".csv": _csv_records, ".tsv": _csv_records, ".json": _json_records, ".jsonl": _jsonl_records,
                 ".ndjson": _jsonl_records}
_BINARY_READERS = {".parquet": _parquet_records,
                   **dict.fromkeys((".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"), _spreadsheet_records)}


def read_records(path: str | Path, encoding: str = UTF8) -> Records:
    """Raw records of one file with their row numbers; raises InputError when the file is unusable. `encoding` is
    the text formats' (Parquet and workbooks name their own)."""
    path = Path(path)
    if _is_dataset(path):
        return _parquet_records(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    compressed = path.suffix.lower() in _COMPRESSED
    if _format(path) in _TEXT_READERS:
        return _TEXT_READERS[_format(path)](path, _decode(path, encoding))
    if compressed or _format(path) not in _BINARY_READERS:
        kind = "".join(path.suffixes[-2:]) if compressed else path.suffix
        raise InputError(f"{path}: unsupported file type {kind!r} (use .csv, .tsv, .json, .jsonl, .parquet, .xlsx or"
                         " .ods; the text formats also compressed: .gz, .bz2, .xz)")
    return _BINARY_READERS[_format(path)](path)


def _is_dataset(path: Path) -> bool:
    """Whether `path` is a folder of Parquet files: one (partitioned) dataset, as batch jobs write them."""
    return path.is_dir() and any(path.rglob("*.parquet"))


def _is_article_file(path: Path) -> bool:
    """Whether the file's suffix names a format `read_records` reads (hidden files aside)."""
    return (path.is_file() and not path.name.startswith(".")
            and (_format(path) in _TEXT_READERS or _format(path) in _BINARY_READERS and path.suffix.lower()
                 not in _COMPRESSED))


def file_sources(path: Path, encoding: str = UTF8) -> list[FileSource]:
    """The sources a path given holds: a file, or a folder of Parquet files (one dataset); any other folder's
    article files, in it and below, in the order of their paths, each named within the folder
    (`2025-08-07/articles.csv`), so that files of one name in two of its folders name their rows apart."""
    if not path.is_dir() or _is_dataset(path):
        return [FileSource(path, encoding)]
    found = sorted(p for p in path.rglob("*") if _is_article_file(p))
    if not found:
        raise InputError(f"{path}: a folder without article files (.csv, .tsv, .json, .jsonl, .parquet, .xlsx, .ods)")
    return [FileSource(p, encoding, p.relative_to(path).as_posix()) for p in found]


# Languages lingua chooses among when a row has no language (plus any the file itself names). A fixed, moderate set:
# lingua's detector for all 75 languages takes seconds and over a gigabyte to build.
NEWS_LANGUAGES = frozenset({"en", "es", "fr", "de", "it", "pt", "nl", "ru", "uk", "pl", "sv", "da", "nb", "fi", "tr",
                            "ar", "zh", "ja", "ko", "hi", "fa", "he", "el", "cs", "ro", "hu", "id", "vi"})


def fill_languages(articles: list[dict]) -> None:
    """Detect the language (lingua, with the file's languages as a prior) of articles that came without one;
    `extra.language_source` says so."""
    missing = [a for a in articles if not a["language"]]
    if not missing:
        return

    known = [a["language"] for a in articles if a["language"]]
    found = detect_languages([f"{a['title']}. {a['text']}" for a in missing], set(NEWS_LANGUAGES) | set(known), known)
    for article, language in zip(missing, found):
        if language:
            article["language"] = language
            article["extra"] = {**article["extra"], "language_source": "detected"}


# The characters of a row's title and text read to check its given language: lingua is sure of a paragraph.
LANGUAGE_CHECK_CHARS = 1000


def read_contradicted_languages(articles: list[dict]) -> int:
    """Read from the text the language of rows whose given language it contradicts, where that language is one
    source's default rather than its rows' own ("en" said of every row of a multilingual file;
    `normalise.contradicted_languages`); `extra.language_given` keeps the one given. Returns how many."""

    texts = [f"{a['title']}. {a['text']}"[:LANGUAGE_CHECK_CHARS] for a in articles]
    found = contradicted_languages(texts, [a["language"] for a in articles])
    for article, language in zip(articles, found):
        if language:
            article["extra"] = {**article["extra"], "language_given": article["language"],
                                "language_source": "detected"}
            article["language"] = language
    return sum(language is not None for language in found)


class Source(Protocol):
    """Anything that yields raw article records: a file (`FileSource`), or a database, an API, a user's own reader.
    Every source's records go through the one validator (`schema.validate_row`)."""

    @property
    def name(self) -> str:
        """What rejects.csv's `file` column names it by."""
        ...

    def rows(self) -> Iterable[tuple[int, dict | RowError]]:
        """(row number, raw record) pairs; a RowError for a row that could not even be read."""
        ...


@dataclass(frozen=True)
class FileSource:
    """A CSV, JSON, JSON lines, Parquet or spreadsheet file (or a Parquet dataset folder); `encoding` is the text
    formats' (`read_records`), `row_prefix` what names its rows where it has no ids (default its file name)."""

    path: Path
    encoding: str = UTF8
    row_prefix: str = ""

    @property
    def name(self) -> str:
        return str(self.path)

    def rows(self) -> Records:
        return read_records(self.path, self.encoding)


@dataclass(frozen=True, eq=False)  # frames compare cell by cell, not as one value
class FrameSource:
    """A pandas DataFrame of articles, its columns named as a file's may be; rows are numbered by position from 0
    (as `frame.iloc` counts them)."""

    frame: pd.DataFrame = field(repr=False)
    name: str = "frame"

    def rows(self) -> Records:
        return [(row, _extra_spread(record)) for row, record in _frame_records(self.name, self.frame, first_row=0)]


def _extra_spread(record: dict | RowError) -> dict | RowError:
    """A record of a frame in the engine's own shape (`load_articles(...).articles`), whose other columns are held in
    `extra`, with them as columns again."""
    if not isinstance(record, dict) or not isinstance(record.get("extra"), dict):
        return record
    return {**record["extra"], **{key: value for key, value in record.items() if key != "extra"}}


# The fields whose values, when not read, are counted (`LoadResult.values_unread`); a language not read is detected.
UNREAD_FIELDS = ("published_at", "country")


def values_unread(articles: list[dict]) -> dict[str, Counter]:
    """Per field of UNREAD_FIELDS, the values `articles` gave that `validate_row` could not read (kept in `extra`
    as `<field>_given`), and how often; fields without one are left out."""
    unread = {key: Counter(article["extra"][f"{key}_given"] for article in articles
                           if article[key] is None and isinstance(article["extra"].get(f"{key}_given"), str))
              for key in UNREAD_FIELDS}
    return {key: counts for key, counts in unread.items() if counts}


# What articles may be loaded from: a file's path, a frame, or any source.
Articles: TypeAlias = str | Path | pd.DataFrame | Source


def load_articles(*sources: Articles, detect_languages: bool = True, encoding: str = UTF8) -> LoadResult:
    """Load and validate articles from files (paths; a folder's article files, see `file_sources`), DataFrames or
    any `Source`; a row repeating an article already loaded under its id is rejected, another article under that
    id is renamed (`normalise.same_article`, `normalise.renamed`). Rows of a source without ids are named by the
    source and row number (`titles.csv:2`; the k-th DataFrame given is `framek`, its rows counted from 0). A column
    under another common name (`headline`, `body`, `date`, `source`) is read as the schema's (`schema.read_as`),
    and `columns_read_as` says which. Dates of numbers (07/08/2025) are read day first in a source whose dates show
    that convention (`schema.dates_day_first`), as `dates_day_first` lists. A site or section name at the end of a
    source's titles ("Headline - Outlet") is read off (`titles.strip_site_names`; `extra.title_given` keeps the title),
    and so are the lines and sentences most of an outlet's bodies in a source share, its site's header and footer,
    and the stubs several of its bodies are word for word (`boilerplate.strip_boilerplate`; `extra.text_boilerplate`
    keeps them).

    With `detect_languages`, rows without a language get one from lingua, and so do the rows whose language a
    source gives for most rows that its texts read otherwise (`read_contradicted_languages`). `encoding` is that of
    the text files given as paths (CSV, JSON): UTF-8 unless named, never guessed.
    """
    articles: list[dict] = []
    rejects: list[dict] = []
    first_seen: dict[str, tuple[str, int]] = {}  # id -> where it was first read, and its place in `articles`
    outlets_missing = ids_from_rows = site_names_read_off = boilerplate_read_off = languages_contradicted = 0
    ids_reused = 0
    columns_read_as: dict[str, str] = {}
    read_day_first: list[str] = []
    for source in _sources(sources, encoding):
        rows = _named_columns(source.rows(), columns_read_as)
        prefix = getattr(source, "row_prefix", "") or Path(source.name).name
        without_ids = not any(isinstance(record, dict) and "id" in record for _, record in rows)
        if without_ids:
            rows = _ids_from_rows(prefix, rows)
        day_first = dates_day_first(record.get("published_at") for _, record in rows if isinstance(record, dict))
        if day_first:
            read_day_first.append(source.name)
        first = len(articles)
        for row, record in rows:
            result = record if isinstance(record, RowError) else validate_row(record, day_first)
            if isinstance(result, dict) and result["id"] in first_seen and not same_article(
                    articles[first_seen[result["id"]][1]], result):
                result, ids_reused = renamed(result), ids_reused + 1
            if isinstance(result, dict) and result["id"] in first_seen:
                result = RowError(f"duplicate id (first seen at {first_seen[result['id']][0]})")
            if isinstance(result, RowError):
                rejects.append(_reject(source.name, row, record, result.reason))
            else:
                first_seen[result["id"]] = (f"{prefix} row {row}", len(articles))
                outlets_missing += isinstance(record, dict) and not clean(record.get("outlet"))
                ids_from_rows += without_ids
                articles.append(result)
        site_names_read_off += strip_site_names(articles[first:])
        boilerplate_read_off += strip_boilerplate(articles[first:])
        if detect_languages:
            languages_contradicted += read_contradicted_languages(articles[first:])
    if detect_languages:
        fill_languages(articles)
    return LoadResult(articles_frame(articles), pd.DataFrame(rejects, columns=REJECT_COLUMNS), outlets_missing,
                      columns_read_as, ids_from_rows, read_day_first, site_names_read_off, boilerplate_read_off,
                      languages_contradicted, values_unread(articles), ids_reused)


def _sources(given: Iterable[Articles], encoding: str) -> Iterator[Source]:
    """Each source given: a path's (`file_sources`), a frame as `FrameSource` (the k-th named `framek`), or as is."""
    frames = 0
    for item in given:
        if isinstance(item, pd.DataFrame):
            frames += 1
            yield FrameSource(item, f"frame{frames}")
        elif isinstance(item, str | Path):
            yield from file_sources(Path(item), encoding)
        else:
            yield item


def _named_columns(rows: Iterable[tuple[int, dict | RowError]], read: dict[str, str]) -> Records:
    """Records with their columns under the schema's names (`schema.read_as`), noting each name read so in `read`."""
    named: Records = []
    for row, record in rows:
        if isinstance(record, dict) and (renames := read_as(record)):
            read.update(renames)
            record = {renames.get(key, key): value for key, value in record.items()}
        named.append((row, record))
    return named


def _ids_from_rows(name: str, rows: Records) -> Records:
    """A source without ids: each row named by the source and its row number (`titles.csv:2`), which stays the same
    as rows are appended, so re-reading the file updates its articles instead of adding them again."""
    return [(row, {**record, "id": f"{name}:{row}", "id_source": "row"} if isinstance(record, dict) else record)
            for row, record in rows]


def articles_frame(articles: list[dict]) -> pd.DataFrame:
    """Articles as a frame whose missing values are None (not NaN), as the store returns them."""
    return without_nan(pd.DataFrame(articles, columns=[*COLUMNS, "extra"]))


def _reject(path, row: int, record, reason: str) -> dict:
    raw = {} if isinstance(record, RowError) else record
    return {
        "file": str(path),
        "row": row,
        "id": str(raw.get("id") or ""),
        "reason": reason,
        "record": json.dumps(raw, ensure_ascii=False, default=str),
    }
