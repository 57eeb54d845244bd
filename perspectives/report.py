"""Stage 6: the batch report as CSV (or Parquet) files.

Every file is written under a temporary name beside its final one and renamed into place only when all of them are
complete, so a report killed at any moment leaves the previous files whole. Every CSV goes through `csv_safe`.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
from numbers import Real
from pathlib import Path
from typing import Callable

import pandas as pd
import psutil

from perspectives.store import STORY_COLUMNS
from perspectives.text import map_strings

ARTICLE_COLUMNS = ["id", "story_id", "outlet", "country", "language", "published_at", "title", "url", "text",
                   "title_en", "text_en", "wire_group"]
TAKES_CSV_COLUMNS = ["story_id", "outlet", "country", "language", "headline", "lede", "distinctive_terms",
                     "headline_en", "lede_en", "article_ids", "wire_note", "also_ran"]

# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no string cell can run as a spreadsheet formula: OWASP's rule, a `'` before every string
    starting with = + - @, tab or carriage return. Numbers (a negative tone) stay numbers."""
    return map_strings(frame, lambda value: "'" + value if value.startswith(FORMULA_STARTS) else value)


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV of a table as every CSV of the project is written (no index, formula-like cells defused)."""
    return csv_safe(frame).to_csv(index=False)


def articles_table(articles: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Articles with their story id first and every passed-through column spread out after the known ones."""
    extras = pd.DataFrame(list(articles["extra"]), index=articles.index)
    extras = extras[[c for c in extras.columns if c not in ARTICLE_COLUMNS]].apply(_one_kind)
    table = articles.drop(columns="extra").merge(members, left_on="id", right_on="article_id", how="left")
    return pd.concat([table[ARTICLE_COLUMNS], extras.set_index(table.index)], axis=1)


def _one_kind(column: pd.Series) -> pd.Series:
    """A passed-through column holding one kind of scalar (text, numbers or booleans) as it is; any other (a dict in
    one row and text in another, lists) with every value that is not text as its JSON text, so Parquet gets one
    type per column and CSV cells read back with json.loads."""
    kinds = {_kind(v) for v in column.dropna()}
    if len(kinds) <= 1 and "other" not in kinds:
        return column
    return column.map(lambda v: v if v is None or isinstance(v, str) or _kind(v) == "missing" else
                      json.dumps(v, ensure_ascii=False, sort_keys=True, default=str))


def _kind(value) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Real):
        return "missing" if value != value else "number"  # NaN: a row without this field
    return "other"


def write_report(out: Path, articles: pd.DataFrame, stories: pd.DataFrame, members: pd.DataFrame,
                 framing: dict[str, pd.DataFrame], format: str = "csv") -> dict[str, Path]:
    """articles, stories and one table per framing analysis (takes, claims, terms, sources, tone, frames,
    timeline, cuts), as CSV files or, with format "parquet", as Parquet (articles partitioned by publication day)."""
    if format not in ("csv", "parquet"):
        raise ValueError(f"unknown report format {format!r} (use csv or parquet)")
    out.mkdir(parents=True, exist_ok=True)
    tables = {"articles": articles_table(articles, members), "stories": stories[STORY_COLUMNS], **framing}
    if format == "parquet":
        paths = {name: out / f"{name}.parquet" for name in tables} | {"articles": out / "articles"}
        writers = {name: _parquet(table) for name, table in tables.items()}
        writers["articles"] = _partitioned_by_day(tables["articles"])
    else:
        tables["takes"] = _takes_for_csv(tables["takes"])
        paths = {name: out / f"{name}.csv" for name in tables}
        writers = {name: _csv(table) for name, table in tables.items()}
    publish({paths[name]: writer for name, writer in writers.items()})
    return paths


def _takes_for_csv(takes: pd.DataFrame) -> pd.DataFrame:
    return takes.assign(
        distinctive_terms=takes["distinctive_terms"].map("; ".join),
        article_ids=takes["article_ids"].map(" ".join),
        also_ran=takes["also_ran"].map("; ".join),
    )[TAKES_CSV_COLUMNS]


def _csv(table: pd.DataFrame) -> Callable[[Path], None]:
    return lambda path: path.write_text(csv_text(table), encoding="utf-8")


def _parquet(table: pd.DataFrame) -> Callable[[Path], None]:
    return lambda path: table.to_parquet(path, index=False)


def _partitioned_by_day(articles: pd.DataFrame) -> Callable[[Path], None]:
    day = pd.to_datetime(articles["published_at"], utc=True, errors="coerce", format="mixed").dt.strftime("%Y-%m-%d")
    dated = articles.assign(day=day.fillna("undated"))
    return lambda folder: dated.to_parquet(folder, partition_cols=["day"], index=False)


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    publish({path: _csv(rejects)})
    return path


def publish(writers: dict[Path, Callable[[Path], None]]) -> None:
    """Write each path (a file or a folder) under a temporary name in its own folder, flush it to disk, then rename
    them all into place. Until the renames, which follow each other at once, every old file stays whole."""
    staged: dict[Path, Path] = {}
    try:
        for path, write in writers.items():
            _remove_stale_partials(path)
            staged[path] = path.with_name(f".{path.name}.{os.getpid()}.partial")
            write(staged[path])
            _sync(staged[path])
        for path, partial in staged.items():
            _swap_in(partial, path)
    finally:
        for partial in staged.values():
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
