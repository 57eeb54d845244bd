"""Stage 6: the batch report as CSV (or Parquet) files, streamed from the store a chunk at a time.

Every file is written under a temporary name beside its final one and renamed into place only when all of them are
complete, so a report killed at any moment leaves the previous files whole. Every CSV cell goes through `defuse`.
Memory is bounded by a chunk, not the archive: articles are read `store.READ_CHUNK` at a time, and each story's
framing rows are rendered to CSV lines once, when they change, and kept in the store (`story_csv`), so that a
report copies them instead of formatting millions of rows again.
"""

from __future__ import annotations

import ctypes
import hashlib
import inspect
import json
import os
import re
import shutil
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from numbers import Real
from pathlib import Path

import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from perspectives.framing.analysis import concat_rows
from perspectives.framing.registry import TABLES
from perspectives.store import STORY_COLUMNS, Store
from perspectives.text import map_strings

ARTICLE_COLUMNS = ["id", "story_id", "outlet", "country", "language", "published_at", "title", "url", "text",
                   "title_en", "text_en", "wire_group", "story_fit"]
TAKES_CSV_COLUMNS = ["story_id", "outlet", "country", "language", "headline", "lede", "distinctive_terms",
                     "headline_en", "lede_en", "article_ids", "wire_note", "also_ran"]
TAKES_JOINED = {"distinctive_terms": "; ", "article_ids": " ", "also_ran": "; "}  # list cells, joined in takes.csv

# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Writer = Callable[[Path], object]  # writes one file or folder at the path given; what it returns is ignored


def defuse(text: str) -> str:
    """OWASP's rule: a `'` before text starting with = + - @, tab or carriage return."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no string cell can run as a spreadsheet formula (`defuse`). Numbers (a negative tone) stay
    numbers."""
    return map_strings(frame, defuse)


# The characters that make a cell quoted: a lone carriage return too, which CSV readers take for a line's end (the
# csv module, and so pandas' `to_csv`, quotes it only from Python 3.12 on).
QUOTED = re.compile('[,"\n\r]')


def csv_cell(value) -> str:
    """One cell as pandas' `to_csv` writes it on Python 3.12 (missing values empty, quotes doubled), text defused."""
    if isinstance(value, str):
        text = defuse(value)
    elif value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    else:
        text = str(value)
    if not QUOTED.search(text):
        return text
    return '"' + text.replace('"', '""') + '"'


def csv_lines(rows: Iterable[Sequence]) -> str:
    """CSV lines of these rows (`csv_cell` each; a row of one empty cell is `""`, as the csv module writes it)."""
    lines = []
    for row in rows:
        line = ",".join(map(csv_cell, row))
        lines.append(f"{line}\n" if line or len(row) != 1 else '""\n')
    return "".join(lines)


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV of a table as every CSV of the project is written (no index, formula-like cells defused)."""
    return csv_lines([list(frame.columns)]) + csv_lines(frame.itertuples(index=False, name=None))


# -- articles ------------------------------------------------------------------------------------------------------

# What a passed-through column is written as where the report writes a column of that name itself (`story_id`, a
# file's own gold label, becomes `story_id_given`).
GIVEN = "_given"


@dataclass
class Extras:
    """The passed-through columns of the articles as one table of them all holds them: the names in order of first
    appearance, each one's dtype (numbers with gaps are floats) and those that mix kinds, held as JSON text."""

    columns: list[str]
    dtypes: dict[str, object]
    mixed: set[str]

    @property
    def headers(self) -> list[str]:
        """The columns' names in the report: each as given, but one the report's own columns take is suffixed."""
        taken = set(ARTICLE_COLUMNS) | set(self.columns)
        headers = []
        for column in self.columns:
            header = column
            while column in ARTICLE_COLUMNS and header in taken:
                header += GIVEN
            taken.add(header)
            headers.append(header)
        return headers

    def frame(self, extras: pd.Series) -> pd.DataFrame:
        """These articles' `extra` dicts spread into the columns, as the whole table holds them."""
        frame = pd.DataFrame(list(extras), dtype=object).reindex(columns=self.columns)
        for column in self.mixed:
            frame[column] = frame[column].map(_jsonify)
        return frame.astype(self.dtypes).set_axis(self.headers, axis=1)

    def values(self, extra: dict) -> list:
        """One article's `extra` dict as the cells of `frame`'s row: the same values, without a frame."""
        return [_jsonify(extra.get(c)) if c in self.mixed else _as_float(extra.get(c)) if self.dtypes[c] == "float64"
                else extra.get(c) for c in self.columns]


def _as_float(value):
    return None if value is None else float(value)


def extras_plan(chunks: Iterable[pd.Series]) -> Extras:
    """The `Extras` of the articles whose `extra` dicts come in `chunks`. A column's dtype is what pandas makes of one
    value of each class found in it (and a gap, when a row lacks it), which is what it makes of all of them."""
    samples: dict[str, dict[str, object]] = {}
    counts: Counter[str] = Counter()
    rows = 0
    for extras in chunks:
        for extra in extras:
            rows += 1
            counts.update(extra.keys())
            for key, value in extra.items():
                samples.setdefault(key, {}).setdefault(_class(value), value)
    dtypes, mixed = {}, set()
    for column in samples:
        skeleton = pd.DataFrame([{column: v} for v in samples[column].values()] + [{}] * (counts[column] < rows))
        if _mixed(skeleton[column]):
            mixed.add(column)
            dtypes[column] = skeleton[column].map(_jsonify).dtype
        else:
            dtypes[column] = skeleton[column].dtype
    return Extras(list(dtypes), dtypes, mixed)


def _class(value) -> str:
    """What pandas' type inference tells apart: a value's type, NaN, and for an integer its sign and range."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, bool) or not isinstance(value, int):
        return type(value).__name__
    return "negative" if -2**63 <= value < 0 else "int64" if 0 <= value < 2**63 else "uint64" if 0 <= value < 2**64 \
        else "big"


def _mixed(column: pd.Series) -> bool:
    """Whether a passed-through column holds more than one kind of scalar (text, numbers, booleans) or anything else
    (a dict, a list): then every value that is not text is held as its JSON text, so Parquet gets one type per
    column and CSV cells read back with json.loads."""
    kinds = {_kind(v) for v in column.dropna()}
    return len(kinds) > 1 or "other" in kinds


def _jsonify(value):
    if value is None or isinstance(value, str) or _kind(value) == "missing":
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _kind(value) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Real):
        return "missing" if value != value else "number"  # NaN: a row without this field
    return "other"


def articles_table(articles: pd.DataFrame, extras: Extras) -> pd.DataFrame:
    """Articles (with their story's `story_id, wire_group, story_fit` and `extra` dicts) as the report's rows: the
    known columns, then every passed-through one."""
    return pd.concat([articles[ARTICLE_COLUMNS].reset_index(drop=True), extras.frame(articles["extra"])], axis=1)


def _articles(store: Store) -> tuple[Extras, Callable[[], Iterator[pd.DataFrame]]]:
    """The passed-through columns of the articles and their chunks, each with its `story_id, wire_group, story_fit`
    (each call of the second reads them again)."""
    extras = extras_plan(chunk["extra"] for chunk in store.article_chunks(["extra"]))
    return extras, lambda: store.article_chunks([*ARTICLE_COLUMNS, "extra"])


def _article_lines(articles: pd.DataFrame, extras: Extras) -> str:
    """`articles_table`'s CSV lines, without the table."""
    known = articles[ARTICLE_COLUMNS].itertuples(index=False, name=None)
    return csv_lines(row + tuple(extras.values(extra)) for row, extra in zip(known, articles["extra"]))


# -- framing tables as CSV lines, rendered once per story ------------------------------------------------------------

def render_story(tables: dict[str, list[dict]]) -> bytes:
    """One story's framing rows as each table's CSV lines (no header), compressed: what `story_csv` keeps."""
    parts = [csv_lines(_csv_rows(name, tables.get(name, []))).encode() for name in TABLES]
    sizes = json.dumps([[name, len(part)] for name, part in zip(TABLES, parts)])
    return zlib.compress(sizes.encode() + b"\n" + b"".join(parts), 6)


def _story_lines(data: bytes) -> Iterator[tuple[str, bytes]]:
    """`render_story`'s lines per table."""
    raw = zlib.decompress(data)
    end = raw.index(b"\n")
    start = end + 1
    for name, size in json.loads(raw[:end]):
        yield name, raw[start:start + size]
        start += size


def _csv_columns(name: str) -> list[str]:
    return TAKES_CSV_COLUMNS if name == "takes" else TABLES[name]


def _csv_rows(name: str, rows: list[dict]) -> Iterator[list]:
    """A framing table's rows as its CSV's cells; in takes.csv a list is one cell (`TAKES_JOINED`)."""
    columns = _csv_columns(name)
    joined = [TAKES_JOINED.get(c) if name == "takes" else None for c in columns]
    for row in rows:
        yield [row.get(c) if sep is None or not isinstance(row.get(c), list) else sep.join(row[c])
               for c, sep in zip(columns, joined)]


@cache
def render_version() -> str:
    """What the CSV lines kept per story depend on besides the rows: the renderer's code, the formula rule and the
    tables' columns. Another version renders every story again."""
    code = "".join(inspect.getsource(function) for function in (defuse, csv_cell, csv_lines, _csv_rows, render_story))
    rules = [FORMULA_STARTS, QUOTED.pattern, TAKES_JOINED, {name: _csv_columns(name) for name in TABLES}]
    return hashlib.sha256((code + json.dumps(rules)).encode()).hexdigest()[:16]


def refresh_rendered(store: Store, chunk: int = 200) -> int:
    """Render the CSV lines of every cached story that has none for its current rows (`Store.unrendered`); returns
    how many were rendered."""
    version = render_version()
    stale = store.unrendered(version)
    for start in range(0, len(stale), chunk):
        keys = dict(stale[start:start + chunk])
        rows = store.framing_rows(keys)
        store.save_rendered({story_id: (keys[story_id], render_story(tables)) for story_id, tables in rows.items()},
                            version)
    return len(stale)


# -- writing -------------------------------------------------------------------------------------------------------

def write_report(out: Path, store: Store, format: str = "csv") -> dict[str, Path]:
    """articles, stories and one table per framing analysis (takes, claims, terms, sources, tone, frames,
    timeline, cuts) of the stories in `store`, as CSV files or, with format "parquet", as Parquet (articles
    partitioned by publication day). Memory stays bounded by a chunk of articles or stories."""
    if format not in ("csv", "parquet"):
        raise ValueError(f"unknown report format {format!r} (use csv or parquet)")
    out.mkdir(parents=True, exist_ok=True)
    names = ["articles", "stories", *TABLES]
    if format == "csv":
        refresh_rendered(store)
        paths = {name: out / f"{name}.csv" for name in names}
    else:
        paths = {name: out / f"{name}.parquet" for name in names} | {"articles": out / "articles"}
    extras, articles = _articles(store)
    with staged(paths.values()) as partial:
        if format == "csv":
            with open(partial[paths["articles"]], "w", encoding="utf-8", newline="") as handle:
                handle.write(csv_lines([ARTICLE_COLUMNS + extras.headers]))
                for chunk in articles():
                    handle.write(_article_lines(chunk, extras))
            _csv_file(partial[paths["stories"]], STORY_COLUMNS, store.story_chunks())
            _rendered_files({partial[paths[name]]: name for name in TABLES}, store.rendered())
        else:
            _parquet_by_day(partial[paths["articles"]],
                            lambda: (articles_table(chunk, extras) for chunk in articles()))
            _parquet_file(partial[paths["stories"]], lambda: _or_empty(store.story_chunks(), STORY_COLUMNS))
            _parquet_framing({name: partial[paths[name]] for name in TABLES}, store)
    return paths


def _or_empty(frames: Iterable[pd.DataFrame], columns: list[str]) -> Iterator[pd.DataFrame]:
    """The frames, or one empty frame with these columns when there are none (a table still has its columns)."""
    empty = True
    for frame in frames:
        empty = False
        yield frame
    if empty:
        yield pd.DataFrame(columns=columns)


def _csv_file(path: Path, columns: list[str], frames: Iterable[pd.DataFrame]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(csv_lines([columns]))
        for frame in frames:
            handle.write(csv_lines(frame.itertuples(index=False, name=None)))


def _rendered_files(paths: dict[Path, str], stories: Iterable[bytes]) -> None:
    """Each framing table's CSV: its header, then every story's lines (`render_story`) in story id order."""
    with ExitStack() as stack:
        handles = {name: stack.enter_context(open(path, "wb")) for path, name in paths.items()}
        for name, handle in handles.items():
            handle.write(csv_lines([_csv_columns(name)]).encode())
        for data in stories:
            for name, lines in _story_lines(data):
                handles[name].write(lines)


def _schema(frames: Iterable[pd.DataFrame]) -> pa.Schema:
    """The Arrow schema of all the frames as one table (a column empty in one chunk takes its type from others)."""
    schemas = [pa.Schema.from_pandas(frame, preserve_index=False) for frame in frames]
    return pa.unify_schemas(schemas, promote_options="permissive")


def _parquet_file(path: Path, frames: Callable[[], Iterable[pd.DataFrame]]) -> None:
    schema = _schema(frames())
    with pq.ParquetWriter(path, schema) as writer:
        for frame in frames():
            writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))


def _with_day(articles: pd.DataFrame) -> pd.DataFrame:
    day = pd.to_datetime(articles["published_at"], utc=True, errors="coerce", format="mixed").dt.strftime("%Y-%m-%d")
    return articles.assign(day=day.fillna("undated"))


def _parquet_by_day(folder: Path, articles: Callable[[], Iterable[pd.DataFrame]]) -> None:
    """The articles as a dataset partitioned by publication day (`day=2025-08-07/part-0.parquet`; `day=undated`).
    They come in time order, so each day's file is written in one go."""
    schema = _schema(articles())
    folder.mkdir()
    writers: dict[str, pq.ParquetWriter] = {}  # the day being written: its file
    try:
        for chunk in articles():
            for day, rows in _with_day(chunk).groupby("day", sort=False):
                if day not in writers:
                    for done in writers.values():
                        done.close()
                    (folder / f"day={day}").mkdir()
                    writers = {day: pq.ParquetWriter(folder / f"day={day}" / "part-0.parquet", schema)}
                writers[day].write_table(pa.Table.from_pandas(rows.drop(columns="day"), schema=schema,
                                                              preserve_index=False))
    finally:
        for writer in writers.values():
            writer.close()


def _parquet_framing(paths: dict[str, Path], store: Store) -> None:
    """Each framing table as Parquet, from the cached rows a chunk of stories at a time: one pass finds the tables'
    schemas, a second writes them."""
    def tables() -> Iterator[dict[str, pd.DataFrame]]:
        yield concat_rows([])  # every table has its columns, stories or not
        for chunk in store.framing_chunks():
            yield concat_rows(chunk.values())

    schemas: dict[str, list[pa.Schema]] = {name: [] for name in paths}
    for found in tables():
        for name in paths:
            schemas[name].append(pa.Schema.from_pandas(found[name], preserve_index=False))
    unified = {name: pa.unify_schemas(found, promote_options="permissive") for name, found in schemas.items()}
    with ExitStack() as stack:
        writers = {name: stack.enter_context(pq.ParquetWriter(path, unified[name])) for name, path in paths.items()}
        for found in tables():
            for name, writer in writers.items():
                writer.write_table(pa.Table.from_pandas(found[name], schema=unified[name], preserve_index=False))


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    publish({path: lambda partial: partial.write_text(csv_text(rejects), encoding="utf-8")})
    return path


def publish(writers: dict[Path, Writer]) -> None:
    """Write each path (a file or a folder) with its writer, atomically (see `staged`)."""
    with staged(writers) as partial:
        for path, write in writers.items():
            write(partial[path])


@contextmanager
def staged(paths: Iterable[Path]) -> Iterator[dict[Path, Path]]:
    """A temporary name in its own folder for each path (a file or a folder), to write it under. When the block
    ends without an error each is flushed to disk, then all are renamed into place, at once: until then every old
    file stays whole. What is left under the temporary names is removed either way."""
    partials: dict[Path, Path] = {}
    try:
        for path in paths:
            _remove_stale_partials(path)
            partials[path] = path.with_name(f".{path.name}.{os.getpid()}.partial")
        yield partials
        for partial in partials.values():
            _sync(partial)
        for path, partial in partials.items():
            _swap_in(partial, path)
    finally:
        for partial in partials.values():
            _remove(partial)


def _remove_stale_partials(path: Path) -> None:
    """Remove what a killed earlier write of `path` left behind (the names carry the writer's process id)."""
    left = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.(partial|old)")
    for found in path.parent.glob(f".{path.name}.*"):
        match = left.fullmatch(found.name)
        if match and not psutil.pid_exists(int(match[1])):
            _remove(found)


def _sync(path: Path) -> None:
    for file in (p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
        with open(file, "rb") as handle:
            os.fsync(handle.fileno())


def _swap_in(partial: Path, path: Path) -> None:
    """Rename `partial` to `path`. A folder replacing a folder is exchanged with it in one step where Linux can
    (renameat2: the old one lands at `partial`, removed after), else the old one is moved aside first."""
    if not (partial.is_dir() and path.is_dir()):
        os.replace(partial, path)
    elif not _exchange(partial, path):
        aside = path.with_name(f".{path.name}.{os.getpid()}.old")
        os.rename(path, aside)
        os.rename(partial, path)
        _remove(aside)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 with RENAME_EXCHANGE); False where that is not available."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    at_cwd, exchange = -100, 2
    return renameat2 is not None and renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), exchange) == 0


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
