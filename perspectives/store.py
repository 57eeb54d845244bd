"""Stage 2: the SQLite store that holds articles, cached embeddings, stories and the runs that made them."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import zlib
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from perspectives.ingest.schema import COLUMNS
from perspectives.text import OPENING, content_hash, document, without_nan

DEFAULT_DB = "perspectives.db"
BUSY_TIMEOUT_S = 30  # how long a writer waits for another to finish before "database is locked"
UPSERT_CHUNK = 500  # articles per write transaction, so other writers get their turn during a long ingest
READ_CHUNK = 2000  # articles (or stories) per read of the streamed reads: what bounds a report's memory
_TITLE_OR_OPENING = (f"CASE WHEN title != '' THEN title WHEN length(text) > {OPENING} "
                     f"THEN substr(text, 1, {OPENING - 1}) || '…' ELSE text END AS title")
VECTOR_CHUNK = 20_000  # vectors per read where every stored one is compared (30 MB at 384 dimensions)

# Columns added since the first version, with what an upgraded store's existing rows hold.
ADDED_COLUMNS = {
    "articles": [("text_hash", "TEXT NOT NULL DEFAULT ''"), ("doc_hash", "TEXT NOT NULL DEFAULT ''"),
                 ("row_hash", "TEXT NOT NULL DEFAULT ''")],
    "story_members": [("wire_group", "TEXT"), ("content_hash", "TEXT"), ("placed_at", "TEXT"),
                      ("place_similarity", "REAL"), ("fit", "REAL")],
    "runs": [("status", "TEXT NOT NULL DEFAULT 'running'"), ("owner", "TEXT")],
}

# What the app's caches are keyed by: a counter that every write of an article, story or membership bumps (a
# trigger, so writes by any code count), and nothing else does (polls, runs, the framing cache, VACUUM).
BUMP = "INSERT INTO changes (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;"

# Full-text search over the articles' headlines and bodies, kept up to date by triggers as articles are inserted,
# updated and deleted. The index holds no copy of the texts (contentless); `search_keys` gives each article a
# stable integer key for it (an INTEGER PRIMARY KEY survives VACUUM, the articles table's own rowid may not).
SEARCH_FIELDS = "title, text, title_en, text_en"
SEARCH_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS search_keys (key INTEGER PRIMARY KEY, article_id TEXT NOT NULL UNIQUE);
CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5({SEARCH_FIELDS}, content='',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS articles_insert AFTER INSERT ON articles BEGIN
    INSERT INTO search_keys (article_id) VALUES (new.id);
    INSERT INTO search_index (rowid, {SEARCH_FIELDS}) SELECT key, new.title, new.text, new.title_en, new.text_en
        FROM search_keys WHERE article_id = new.id;
    {BUMP}
END;
CREATE TRIGGER IF NOT EXISTS articles_update AFTER UPDATE ON articles BEGIN
    INSERT INTO search_index (search_index, rowid, {SEARCH_FIELDS})
        SELECT 'delete', key, old.title, old.text, old.title_en, old.text_en FROM search_keys WHERE article_id = old.id;
    INSERT INTO search_index (rowid, {SEARCH_FIELDS}) SELECT key, new.title, new.text, new.title_en, new.text_en
        FROM search_keys WHERE article_id = new.id;
    {BUMP}
END;
CREATE TRIGGER IF NOT EXISTS articles_delete AFTER DELETE ON articles BEGIN
    INSERT INTO search_index (search_index, rowid, {SEARCH_FIELDS})
        SELECT 'delete', key, old.title, old.text, old.title_en, old.text_en FROM search_keys WHERE article_id = old.id;
    DELETE FROM search_keys WHERE article_id = old.id;
    {BUMP}
END;
"""

# PRAGMA user_version of a store whose search index holds every article (one written before it had the index is
# indexed once, when this version first opens it).
SEARCH_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    outlet TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT, country TEXT, language TEXT, published_at TEXT, title_en TEXT, text_en TEXT,
    extra TEXT NOT NULL DEFAULT '{}',
    text_hash TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    doc_hash TEXT NOT NULL DEFAULT '',
    row_hash TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS articles_text_hash ON articles(text_hash);
CREATE INDEX IF NOT EXISTS articles_published_at ON articles(published_at);
CREATE INDEX IF NOT EXISTS articles_doc_hash ON articles(doc_hash);
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    outlet TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    checked_at TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, content_hash)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'running',
    owner TEXT
);
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    label TEXT NOT NULL,
    keywords TEXT NOT NULL,
    n_articles INTEGER NOT NULL,
    n_outlets INTEGER NOT NULL,
    countries TEXT NOT NULL,
    first_published TEXT,
    last_published TEXT
);
CREATE TABLE IF NOT EXISTS story_members (
    article_id TEXT PRIMARY KEY REFERENCES articles(id),
    story_id TEXT NOT NULL REFERENCES stories(story_id),
    wire_group TEXT,
    content_hash TEXT,
    placed_at TEXT,
    place_similarity REAL,
    fit REAL
);
CREATE INDEX IF NOT EXISTS story_members_story ON story_members(story_id);
CREATE INDEX IF NOT EXISTS story_members_placed ON story_members(placed_at);
DROP TABLE IF EXISTS framing_cache;
CREATE TABLE IF NOT EXISTS story_framing (
    story_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS story_csv (
    story_id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS story_lineage (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    story_id TEXT NOT NULL,
    parent_story_id TEXT,
    relation TEXT NOT NULL,
    shared_articles INTEGER NOT NULL
);
-- A year of hourly runs writes a long lineage: pruning and following a story's ids look it up by either end.
CREATE INDEX IF NOT EXISTS story_lineage_story ON story_lineage(story_id);
CREATE INDEX IF NOT EXISTS story_lineage_parent ON story_lineage(parent_story_id);
""" + SEARCH_SCHEMA + "\n".join(
    f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()} AFTER {event} ON {table} BEGIN {BUMP} END;"
    for table in ("stories", "story_members") for event in ("INSERT", "UPDATE", "DELETE"))

STORY_COLUMNS = [
    "story_id", "label", "keywords", "n_articles", "n_outlets", "countries", "first_published", "last_published",
]

# content_hash: what the article's text was when it was grouped (a changed text makes the article regrouped); it is
# compared with the article's doc_hash, the hash of what is embedded now. placed_at, place_similarity: for an
# undated article, the publication time of the dated article most like it when it was grouped and their cosine
# (`StoryClusterer.placed_by_`, `pipeline.placements`), which say which new articles can touch it
# (`stories.incremental`); None for a dated one, or where nothing was dated. fit: the article's mean similarity to the
# other articles of its story when it was grouped (`stories.refine.member_fit`); None alone.
MEMBER_COLUMNS = ["article_id", "story_id", "wire_group", "content_hash", "placed_at", "place_similarity", "fit"]
# What `article_chunks` reads of an article's membership, by the name it gives it.
MEMBERSHIP_FIELDS = {"story_id": "m.story_id", "wire_group": "m.wire_group", "story_fit": "m.fit"}


AMONG_IDS = "id IN (SELECT value FROM json_each(:ids))"  # the id is one of the JSON list `:ids`


def among(ids: Iterable[str]) -> tuple[str, dict]:
    """An SQL condition on articles (and its parameters): the id is one of `ids`."""
    return AMONG_IDS, {"ids": json.dumps(list(ids))}


def _near(n_spans: int) -> str:
    """SQL: the ids of the articles placed within `n_spans` spans (`:first0`, `:last0`, ...) or among `:ids` (JSON);
    an article grouped as undated (no date, or its date set aside) is placed by its `placed_at`, and an undated one
    never placed could be anywhere."""
    within = " OR ".join(f"{{column}} BETWEEN :first{i} AND :last{i}" for i in range(n_spans)) or "0"
    placed = f"SELECT article_id FROM story_members WHERE {within.format(column='placed_at')}"
    return (f"SELECT id FROM articles WHERE {within.format(column='published_at')} "
            f"OR {AMONG_IDS} OR id IN ({placed}) "
            "OR published_at IS NULL AND id NOT IN (SELECT article_id FROM story_members WHERE placed_at IS NOT NULL)")


def _touched_stories(spans: list[tuple[str, str]], ids: Collection[str]) -> tuple[str, dict]:
    """SQL (and its parameters): the stories of the articles `_near` the `spans` or among `ids`."""
    bounds = {f"{end}{i}": time for i, span in enumerate(spans) for end, time in zip(("first", "last"), span)}
    return (f"SELECT DISTINCT story_id FROM story_members WHERE article_id IN ({_near(len(spans))})",
            {**bounds, **among(ids)[1]})


def default_db_path() -> Path:
    return Path(os.environ.get("PERSPECTIVES_DB", DEFAULT_DB))


def doc_hash(article: dict) -> str:
    """Hash of what is embedded of an article (`perspectives.text.document`): it changes when its vector would."""
    return content_hash(document(article))


def row_hashes(articles: pd.DataFrame) -> list[str]:
    """A hash of all the fields (`COLUMNS`) of each article, as the store reads them back: what the keys of the
    per-story framing cache are made of (`FramingAnalyser.story_keys`). Kept beside each article, so that the keys of
    an archive are found without reading its texts."""
    fields = without_nan(articles.reindex(columns=list(COLUMNS)))
    return list(map(str, pd.util.hash_pandas_object(fields.astype(str), index=False).to_numpy()))


def text_hash(text: str) -> str:
    """Hash of a text with white space folded, so re-flowed copies of one text count as the same."""
    return content_hash(" ".join((text or "").split()))


def framing_json(tables: dict[str, list[dict]]) -> str:
    """One story's framing rows as JSON (numpy scalars as Python numbers)."""
    return json.dumps(tables, ensure_ascii=False, sort_keys=True, default=_plain)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _finish(conn, run_id: int, summary: dict) -> None:
    conn.execute("UPDATE runs SET finished_at = ?, summary = ?, status = 'finished' WHERE run_id = ?",
                 (_now(), json.dumps(summary, sort_keys=True), run_id))


def _this_process() -> str:
    """Who runs a run: host, process id and the process's start time (a reused id is another process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{psutil.Process().create_time()!r}"


def _still_running(owner: str | None) -> bool:
    """Whether the process named by `owner` is alive (one on another host is assumed to be)."""
    if not owner:
        return False  # recorded by a version that did not name it
    host, pid, started = owner.rsplit(":", 2)
    if host != socket.gethostname():
        return True
    try:
        return repr(psutil.Process(int(pid)).create_time()) == started
    except psutil.NoSuchProcess:
        return False


def _params_json(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    updated_ids: list[str] = field(default_factory=list)


class Store:
    """One SQLite file; every write happens inside a short transaction.

    Several processes may use one store (a cron job, the app): a writer waits up to `BUSY_TIMEOUT_S` for another
    to finish, and no write transaction is held across slow work (embedding, grouping, analyses).
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA journal_mode = WAL")
        if self._missing_columns():
            with self.transaction():
                self._add_missing_columns()
        self.conn.executescript(SCHEMA)
        if self._user_version() < SEARCH_VERSION:
            with self.transaction():
                self._index_unsearchable()

    def _user_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _index_unsearchable(self) -> None:
        """Add the articles that the search index lacks (all of a store written before it had one); checked inside
        the write transaction, as another process may have done it meanwhile."""
        if self._user_version() >= SEARCH_VERSION:
            return
        last = self.conn.execute("SELECT COALESCE(MAX(key), 0) FROM search_keys").fetchone()[0]
        self.conn.execute("INSERT INTO search_keys (article_id) SELECT id FROM articles "
                          "WHERE id NOT IN (SELECT article_id FROM search_keys) ORDER BY id")
        self.conn.execute(f"INSERT INTO search_index (rowid, {SEARCH_FIELDS}) SELECT k.key, a.title, a.text, "
                          "a.title_en, a.text_en FROM search_keys k JOIN articles a ON a.id = k.article_id "
                          "WHERE k.key > ?", (last,))
        self.conn.execute(f"PRAGMA user_version = {SEARCH_VERSION}")

    def _missing_columns(self) -> list[tuple[str, str, str]]:
        """Columns this version added that an existing table lacks (a table not there yet is created whole)."""
        missing = []
        for table, columns in ADDED_COLUMNS.items():
            present = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
            missing += [(table, name, kind) for name, kind in columns if present and name not in present]
        return missing

    def _add_missing_columns(self) -> None:
        """Bring a store written by an earlier version up to this schema (checked again inside the write
        transaction: another process may have upgraded it meanwhile)."""
        for table, name, kind in self._missing_columns():
            self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
            if (table, name) == ("runs", "status"):  # unfinished ones are marked aborted by the next run
                self.conn.execute("UPDATE runs SET status = 'finished' WHERE finished_at IS NOT NULL")
            if (table, name) == ("articles", "doc_hash"):  # read once, so later runs find changes without texts
                rows = self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM articles").fetchall()
                self.conn.executemany("UPDATE articles SET doc_hash = ? WHERE id = ?",
                                      [(doc_hash(dict(zip(COLUMNS, row))), row[0]) for row in rows])
            if (table, name) == ("articles", "row_hash"):  # read once, so framing keys need no texts
                self._fill_row_hashes()

    def _fill_row_hashes(self) -> None:
        cursor = self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM articles")
        while rows := cursor.fetchmany(READ_CHUNK):
            found = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
            self.conn.executemany("UPDATE articles SET row_hash = ? WHERE id = ?",
                                  zip(row_hashes(found), found["id"]))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self):
        """A write transaction. It takes the write lock when it begins (waiting for another writer up to
        `BUSY_TIMEOUT_S`), so it never fails half-way on a lock; committed at the end, rolled back on an error."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            yield self.conn

    # -- articles -------------------------------------------------------------------------------------------

    def upsert_articles(self, articles: pd.DataFrame) -> UpsertCounts:
        """Insert new articles, update changed ones, leave identical ones alone; one transaction per
        `UPSERT_CHUNK` articles (a failed chunk leaves nothing of itself; loading again completes an ingest)."""
        counts = UpsertCounts()
        records = articles.to_dict("records")
        for start in range(0, len(records), UPSERT_CHUNK):
            self._upsert(records[start:start + UPSERT_CHUNK], counts)
        return counts

    def _upsert(self, records: list[dict], counts: UpsertCounts) -> None:
        fields = [c for c in COLUMNS if c != "id"] + ["extra", "text_hash", "doc_hash"]
        rows = [{c: record.get(c) for c in COLUMNS} for record in records]
        hashes = row_hashes(pd.DataFrame(rows, columns=list(COLUMNS), dtype=object))
        with self.transaction() as conn:
            for record, row, row_hash in zip(records, rows, hashes):
                row["extra"] = json.dumps(record.get("extra") or {}, ensure_ascii=False, sort_keys=True, default=str)
                row["text_hash"] = text_hash(str(row["text"]))  # validated rows always have a text
                row["doc_hash"] = doc_hash(row)
                old = conn.execute(
                    f"SELECT {', '.join(fields)} FROM articles WHERE id = ?", (row["id"],)
                ).fetchone()
                if old is None:
                    conn.execute(
                        f"INSERT INTO articles (id, {', '.join(fields)}, row_hash, ingested_at) "
                        f"VALUES (?, {', '.join('?' for _ in fields)}, ?, ?)",
                        (row["id"], *(row[f] for f in fields), row_hash, _now()),
                    )
                    counts.new += 1
                elif tuple(old) != tuple(row[f] for f in fields):
                    conn.execute(
                        f"UPDATE articles SET {', '.join(f'{f} = ?' for f in fields)}, row_hash = ? WHERE id = ?",
                        (*(row[f] for f in fields), row_hash, row["id"]),
                    )
                    counts.updated += 1
                    counts.updated_ids.append(str(row["id"]))
                else:
                    counts.unchanged += 1

    def articles(self, where: str = "", params: tuple | dict = (), texts: bool = True) -> pd.DataFrame:
        """All articles (or those matching the SQL condition `where`), ordered by time then id, with their extra
        fields as a dict; without `texts`, their bodies (`text`, `text_en`) are not read, and an article without a
        title has its text's opening (OPENING characters) as one, what a list of articles shows."""
        columns = [c if texts or c != "title" else _TITLE_OR_OPENING for c in COLUMNS
                   if texts or c not in ("text", "text_en")]
        frame = pd.read_sql_query(
            f"SELECT {', '.join(columns)}, extra FROM articles {'WHERE ' + where if where else ''} "
            "ORDER BY published_at IS NULL, published_at, id", self.conn, params=params)
        frame["extra"] = frame["extra"].map(json.loads)
        return without_nan(frame)

    def published_span(self, story_id: str | None = None) -> tuple[str | None, str | None]:
        """The first and the last publication time in the store, or of one story's articles (None when no article
        is dated)."""
        where = "WHERE id IN (SELECT article_id FROM story_members WHERE story_id = ?)" if story_id else ""
        return self.conn.execute(f"SELECT MIN(published_at), MAX(published_at) FROM articles {where}",
                                 (story_id,) if story_id else ()).fetchone()

    def version(self) -> int:
        """A number that grows with every write of an article, a story or a membership, and only then."""
        row = self.conn.execute("SELECT n FROM changes").fetchone()
        return row[0] if row else 0

    def search(self, words: str, where: str = "", params: dict | None = None) -> list[str]:
        """Ids of the articles whose headline or body (original or English) holds `words` as a phrase (case,
        accents and punctuation aside), among those matching the SQL condition `where` on articles."""
        phrase = '"' + words.replace('"', '""') + '"'  # one phrase: the user's text is never read as a query
        among = f"AND k.article_id IN (SELECT id FROM articles WHERE {where})" if where else ""
        rows = self.conn.execute(
            "SELECT k.article_id FROM search_index s JOIN search_keys k ON k.key = s.rowid "
            f"WHERE search_index MATCH :phrase {among} ORDER BY k.article_id", {**(params or {}), "phrase": phrase})
        return [row[0] for row in rows]

    def article_vectors(self, model: str, where: str = "", params: dict | None = None) -> dict[str, np.ndarray]:
        """Article id -> its cached vector of `model`, for the articles matching `where` that have one."""
        return {article_id: vector for chunk, rows in self.vector_chunks(model, where or "1", params)
                for article_id, vector in zip(chunk["id"], rows)}

    def changed_articles(self) -> pd.DataFrame:
        """`id, published_at, outlet` of the articles that are in no story or whose content changed since grouped."""
        return without_nan(pd.read_sql_query(
            "SELECT a.id, a.published_at, a.outlet FROM articles a LEFT JOIN story_members m ON m.article_id = a.id "
            "WHERE m.article_id IS NULL OR m.content_hash IS NOT a.doc_hash ORDER BY a.id", self.conn))

    def regroup_window(self, spans: list[tuple[str, str]], ids: Collection[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """What a batch can touch (`stories.incremental`): the articles placed within the `spans` (ISO times, first
        and last; an undated article by its `placed_at`, and one never placed could be anywhere), those of `ids`,
        every article of the stories those are in, and those stories' memberships."""
        touched, params = _touched_stories(spans, ids)
        articles = self.articles(f"id IN ({_near(len(spans))}) OR id IN (SELECT article_id FROM story_members WHERE "
                                 f"story_id IN ({touched}))", params)
        members = without_nan(pd.read_sql_query(
            f"SELECT {', '.join(MEMBER_COLUMNS)} FROM story_members WHERE story_id IN ({touched}) "
            "ORDER BY story_id, article_id", self.conn, params=params))
        return articles, members

    def regroup_size(self, spans: list[tuple[str, str]], ids: Collection[str]) -> int:
        """How many articles `regroup_window` would read."""
        touched, params = _touched_stories(spans, ids)
        return self.conn.execute(
            f"SELECT COUNT(*) FROM articles WHERE id IN ({_near(len(spans))}) OR id IN (SELECT article_id FROM "
            f"story_members WHERE story_id IN ({touched}))", params).fetchone()[0]

    def vector_chunks(self, model: str, where: str, params: dict | None = None, columns: tuple[str, ...] = ("a.id",),
                      size: int = VECTOR_CHUNK) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        """The cached vectors of `model` of the articles matching the SQL condition `where` (on articles `a` and
        their memberships `m`, with `params`), `size` at a time: the articles' `columns` and their vectors, as rows."""
        cursor = self.conn.execute(
            f"SELECT {', '.join(columns)}, e.vector FROM articles a JOIN embeddings e ON e.content_hash = a.doc_hash "
            f"AND e.model = :model LEFT JOIN story_members m ON m.article_id = a.id WHERE {where}",
            {**(params or {}), "model": model})
        while rows := cursor.fetchmany(size):
            yield (pd.DataFrame([row[:-1] for row in rows], columns=[c.split(".")[-1] for c in columns]),
                   np.vstack([np.frombuffer(row[-1], dtype=np.float32) for row in rows]))

    def article_extra(self, article_id: str) -> dict | None:
        """The stored extra fields of an article, or None when the id is not stored."""
        row = self.conn.execute("SELECT extra FROM articles WHERE id = ?", (article_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def id_with_text(self, text: str) -> str | None:
        """The id of a stored article with exactly this text (after white-space folding), if any."""
        row = self.conn.execute("SELECT id FROM articles WHERE text_hash = ? ORDER BY id LIMIT 1",
                                (text_hash(text),)).fetchone()
        return row[0] if row else None

    def dates_set_aside(self, outside: Collection[str] = ()) -> dict[str, int]:
        """Outlet -> its dated articles grouped as undated (their dates set aside, `stories.dates`), in stories other
        than `outside`."""
        rows = self.conn.execute(
            "SELECT a.outlet, COUNT(*) FROM articles a JOIN story_members m ON m.article_id = a.id "
            "WHERE a.published_at IS NOT NULL AND m.placed_at IS NOT NULL AND m.story_id NOT IN "
            "(SELECT value FROM json_each(?)) GROUP BY a.outlet ORDER BY a.outlet", (json.dumps(list(outside)),))
        return dict(rows.fetchall())

    def outlets_set_aside(self) -> list[str]:
        """The outlets all of whose grouped dated articles are grouped as undated (their dates set aside,
        `stories.dates`)."""
        rows = self.conn.execute(
            "SELECT a.outlet FROM articles a JOIN story_members m ON m.article_id = a.id WHERE a.published_at IS NOT "
            "NULL AND a.outlet IS NOT NULL GROUP BY a.outlet HAVING MIN(m.placed_at IS NOT NULL) = 1 ORDER BY a.outlet")
        return [outlet for (outlet,) in rows]

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    # -- embeddings -----------------------------------------------------------------------------------------

    def cached_embeddings(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            rows = self.conn.execute(
                f"SELECT content_hash, vector FROM embeddings WHERE model = ? "
                f"AND content_hash IN ({', '.join('?' for _ in chunk)})",
                (model, *chunk),
            )
            found.update({h: np.frombuffer(v, dtype=np.float32) for h, v in rows})
        return found

    def save_embeddings(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model, content_hash, dim, vector) VALUES (?, ?, ?, ?)",
                [(model, h, v.shape[0], np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()],
            )

    # -- feeds ----------------------------------------------------------------------------------------------

    def feed_state(self, url: str) -> dict:
        row = self.conn.execute("SELECT etag, last_modified FROM feeds WHERE url = ?", (url,)).fetchone()
        return {"etag": row[0], "last_modified": row[1]} if row else {"etag": None, "last_modified": None}

    def save_feed_state(self, url: str, outlet: str, status: str, error: str | None = None,
                        etag: str | None = None, last_modified: str | None = None) -> None:
        """Record a poll; validators are kept from the last success so a failure never forces a full re-fetch."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO feeds (url, outlet, etag, last_modified, checked_at, status, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET outlet = excluded.outlet, "
                "etag = COALESCE(excluded.etag, feeds.etag), "
                "last_modified = COALESCE(excluded.last_modified, feeds.last_modified), "
                "checked_at = excluded.checked_at, status = excluded.status, error = excluded.error",
                (url, outlet, etag, last_modified, _now(), status, error),
            )

    def feeds(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM feeds ORDER BY outlet, url", self.conn)

    # -- runs and stories -----------------------------------------------------------------------------------

    def start_run(self, kind: str, params: dict) -> int:
        """Record a run as running; runs left unfinished by a process that is gone are marked aborted first."""
        with self.transaction() as conn:
            unfinished = conn.execute("SELECT run_id, owner FROM runs WHERE status = 'running'").fetchall()
            conn.executemany("UPDATE runs SET status = 'aborted' WHERE run_id = ?",
                             [(run_id,) for run_id, owner in unfinished if not _still_running(owner)])
            cursor = conn.execute(
                "INSERT INTO runs (kind, started_at, params, status, owner) VALUES (?, ?, ?, 'running', ?)",
                (kind, _now(), _params_json(params), _this_process()),
            )
        return cursor.lastrowid

    @contextmanager
    def recording_run(self, kind: str, params: dict):
        """`start_run`, yielding the run id; a run that fails (or is interrupted) is marked aborted."""
        run_id = self.start_run(kind, params)
        try:
            yield run_id
        except BaseException:
            with self.transaction() as conn:
                conn.execute("UPDATE runs SET status = 'aborted' WHERE run_id = ? AND status = 'running'", (run_id,))
            raise

    def same_params(self, kind: str, params: dict) -> bool:
        """Whether the last finished run of this kind used exactly these parameters."""
        last = self._last_params_json(kind)
        return last is not None and last == _params_json(params)

    def last_params(self, kind: str) -> dict | None:
        """The parameters of the last finished run of this kind; None before the first."""
        last = self._last_params_json(kind)
        return None if last is None else json.loads(last)

    def last_summary(self, kind: str) -> dict:
        """The summary of the last finished run of this kind; empty before the first."""
        last = self._last_run(kind, "summary")
        return {} if last is None else json.loads(last)

    def _last_params_json(self, kind: str) -> str | None:
        return self._last_run(kind, "params")

    def _last_run(self, kind: str, column: str) -> str | None:
        row = self.conn.execute(f"SELECT {column} FROM runs WHERE kind = ? AND finished_at IS NOT NULL "
                                "ORDER BY run_id DESC LIMIT 1", (kind,)).fetchone()
        return None if row is None else row[0]

    def replace_stories(self, run_id: int, stories: pd.DataFrame, members: pd.DataFrame, summary: dict,
                        lineage: pd.DataFrame | None = None, replaced: list[str] | None = None) -> dict[str, int]:
        """Swap in a new grouping atomically (readers see the old stories or the new ones, never a mix), then mark
        the run finished. Only the stories `replaced` are removed first (default: all); the others stay as they
        are. Returns the store's counts after the swap (see `story_counts`), also recorded in the run's summary."""
        with self.transaction() as conn:
            if lineage is not None:
                conn.executemany(
                    "INSERT INTO story_lineage (run_id, story_id, parent_story_id, relation, shared_articles) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(run_id, *row) for row in without_nan(lineage).itertuples(index=False, name=None)],
                )
            if replaced is None:
                conn.execute("DELETE FROM story_members")
                conn.execute("DELETE FROM stories")
            else:
                conn.executemany("DELETE FROM story_members WHERE story_id = ?", [(s,) for s in replaced])
                conn.executemany("DELETE FROM stories WHERE story_id = ?", [(s,) for s in replaced])
            conn.executemany(
                f"INSERT INTO stories (run_id, {', '.join(STORY_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' for _ in STORY_COLUMNS)})",
                [(run_id, *row) for row in stories[STORY_COLUMNS].itertuples(index=False, name=None)],
            )
            conn.executemany(
                f"INSERT INTO story_members ({', '.join(MEMBER_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in MEMBER_COLUMNS)})",
                without_nan(members.reindex(columns=MEMBER_COLUMNS)).itertuples(index=False, name=None),
            )
            counts = self.story_counts()
            _finish(conn, run_id, summary | counts)
        return counts

    def finish_run(self, run_id: int, summary: dict) -> dict[str, int]:
        """Mark a run finished, recording `summary` and the store's counts (returned)."""
        with self.transaction() as conn:
            counts = self.story_counts()
            _finish(conn, run_id, summary | counts)
        return counts

    def story_counts(self) -> dict[str, int]:
        """Articles, stories, stories of two or more outlets, single-article stories, wire copies."""
        stories, multi, single = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(n_outlets >= 2), 0), COALESCE(SUM(n_articles = 1), 0) FROM stories"
        ).fetchone()
        return {"articles": self.count("articles"), "stories": stories, "multi_outlet_stories": multi,
                "single_article_stories": single,
                "wire_copies": self.conn.execute("SELECT COUNT(wire_group) FROM story_members").fetchone()[0]}

    def story_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT story_id FROM stories")}

    # -- framing results --------------------------------------------------------------------------------------

    def save_framing(self, rows: dict[str, dict[str, list[dict]]], keys: dict[str, str]) -> int:
        """Cache these stories' framing rows (zlib-compressed JSON, about an eighth of the size) under their keys and
        drop the rows (and CSV lines) of stories not in `keys` (gone, or no longer covered by two outlets); returns
        how many were dropped."""
        with self.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO story_framing (story_id, key, data) VALUES (?, ?, ?)",
                             [(story_id, keys[story_id], zlib.compress(framing_json(tables).encode(), 6))
                              for story_id, tables in rows.items()])
            stale = [(story_id,) for (story_id,) in conn.execute("SELECT story_id FROM story_framing")
                     if story_id not in keys]
            conn.executemany("DELETE FROM story_framing WHERE story_id = ?", stale)
            conn.executemany("DELETE FROM story_csv WHERE story_id = ?", stale)
        return len(stale)

    def stories(self, where: str = "", params: tuple | dict = ()) -> pd.DataFrame:
        """All stories (or those matching the SQL condition `where`), the widest first."""
        return pd.read_sql_query(
            f"SELECT {', '.join(STORY_COLUMNS)} FROM stories {'WHERE ' + where if where else ''} "
            "ORDER BY n_outlets DESC, n_articles DESC, story_id", self.conn, params=params)

    def members(self, where: str = "", params: tuple | dict = ()) -> pd.DataFrame:
        """All memberships (or those matching the SQL condition `where`), by story then article."""
        return without_nan(pd.read_sql_query(
            f"SELECT {', '.join(MEMBER_COLUMNS)} FROM story_members {'WHERE ' + where if where else ''} "
            "ORDER BY story_id, article_id", self.conn, params=params))

    # -- streamed reads: what a report reads, a chunk at a time -------------------------------------------------

    def article_chunks(self, columns: list[str], size: int | None = None) -> Iterator[pd.DataFrame]:
        """Every article in `articles()`'s order, `size` (default `READ_CHUNK`) at a time, with only `columns`: its
        own (`extra` parsed) and its membership's `story_id, wire_group, story_fit` (None when it is in no story).
        Only the order is sorted in SQL (texts are read a chunk at a time); an article removed meanwhile is left
        out."""
        size = size or READ_CHUNK
        order = [rowid for (rowid,) in self.conn.execute(
            "SELECT rowid FROM articles ORDER BY published_at IS NULL, published_at, id")]
        fields = ", ".join(MEMBERSHIP_FIELDS.get(c, f"a.{c}") for c in columns)
        for start in range(0, len(order), size):
            chunk = order[start:start + size]
            rows = self.conn.execute(
                f"SELECT a.rowid, {fields} FROM articles a LEFT JOIN story_members m ON m.article_id = a.id "
                f"WHERE a.rowid IN ({', '.join('?' for _ in chunk)})", chunk).fetchall()
            place = {rowid: i for i, rowid in enumerate(chunk)}
            rows.sort(key=lambda row: place[row[0]])
            frame = pd.DataFrame([row[1:] for row in rows], columns=columns, dtype=object)
            if "extra" in columns:
                frame["extra"] = [{} if extra == "{}" else json.loads(extra) for extra in frame["extra"]]
            yield frame

    def articles_with_ids(self, ids: Iterable[str]) -> pd.DataFrame:
        """The articles with these ids as `articles()` gives them (any number of ids: they go through a temporary
        table)."""
        with self.conn:
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (id TEXT PRIMARY KEY)")
            self.conn.execute("DELETE FROM temp.wanted")
            self.conn.executemany("INSERT OR IGNORE INTO temp.wanted (id) VALUES (?)", ((i,) for i in ids))
            found = self.articles("id IN (SELECT id FROM temp.wanted)")
            self.conn.execute("DELETE FROM temp.wanted")
        return found

    def story_chunks(self, size: int | None = None) -> Iterator[pd.DataFrame]:
        """`stories()`, `size` (default `READ_CHUNK`) stories at a time."""
        yield from pd.read_sql_query(
            f"SELECT {', '.join(STORY_COLUMNS)} FROM stories ORDER BY n_outlets DESC, n_articles DESC, story_id",
            self.conn, chunksize=size or READ_CHUNK)

    def article_hashes(self) -> pd.DataFrame:
        """`id, outlet, published_at, row_hash` of every article: what the framing cache's keys read (no text)."""
        return without_nan(pd.read_sql_query("SELECT id, outlet, published_at, row_hash FROM articles ORDER BY id",
                                             self.conn))

    def framing_keys(self) -> dict[str, str]:
        """Story id -> the key its cached framing rows were computed under."""
        return dict(self.conn.execute("SELECT story_id, key FROM story_framing"))

    def framing_rows(self, story_ids: Iterable[str]) -> dict[str, dict[str, list[dict]]]:
        """Story id -> its cached framing rows, for those of `story_ids` that have them."""
        ids = list(story_ids)
        found: dict[str, dict[str, list[dict]]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            found.update((story_id, json.loads(zlib.decompress(data))) for story_id, data in self.conn.execute(
                f"SELECT story_id, data FROM story_framing WHERE story_id IN ({', '.join('?' for _ in chunk)})",
                chunk))
        return found

    def framing_chunks(self, size: int = 200) -> Iterator[dict[str, dict[str, list[dict]]]]:
        """Every cached story's framing rows in story id order, `size` stories at a time."""
        ids = [story_id for (story_id,) in self.conn.execute("SELECT story_id FROM story_framing ORDER BY story_id")]
        for start in range(0, len(ids), size):
            found = self.framing_rows(ids[start:start + size])
            yield {story_id: found[story_id] for story_id in ids[start:start + size] if story_id in found}

    def unrendered(self, version: str) -> list[tuple[str, str]]:
        """`(story_id, key)` of the cached stories whose CSV lines (`story_csv`) are missing, or were rendered from
        other rows (another framing key) or by another renderer (`version`)."""
        return self.conn.execute(
            "SELECT f.story_id, f.key FROM story_framing f LEFT JOIN story_csv c ON c.story_id = f.story_id "
            "WHERE c.key IS NULL OR c.key != f.key || '|' || ? ORDER BY f.story_id", (version,)).fetchall()

    def save_rendered(self, rendered: dict[str, tuple[str, bytes]], version: str) -> None:
        """Keep each story's CSV lines: story id -> the framing key they were rendered from and the lines."""
        with self.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO story_csv (story_id, key, data) VALUES (?, ?, ?)",
                             [(story_id, f"{key}|{version}", data) for story_id, (key, data) in rendered.items()])

    def rendered(self) -> Iterator[bytes]:
        """Every cached story's CSV lines (`save_rendered`), in story id order."""
        for (data,) in self.conn.execute("SELECT c.data FROM story_framing f JOIN story_csv c "
                                         "ON c.story_id = f.story_id ORDER BY f.story_id"):
            yield data

    # -- retention ----------------------------------------------------------------------------------------------

    def prunable(self, before: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The articles older than `before` (ISO time; published, else ingested) whose whole story is, so that no
        story is cut in half, with those stories' memberships."""
        old_stories = ("SELECT m.story_id FROM story_members m JOIN articles a ON a.id = m.article_id "
                       "GROUP BY m.story_id HAVING MAX(COALESCE(a.published_at, a.ingested_at)) < :before")
        members = without_nan(pd.read_sql_query(
            f"SELECT {', '.join(MEMBER_COLUMNS)} FROM story_members WHERE story_id IN ({old_stories}) "
            "ORDER BY story_id, article_id", self.conn, params={"before": before}))
        articles = self.articles(
            f"id IN (SELECT article_id FROM story_members WHERE story_id IN ({old_stories})) OR "
            "(COALESCE(published_at, ingested_at) < :before AND id NOT IN (SELECT article_id FROM story_members))",
            {"before": before})
        return articles, members

    def prune(self, article_ids, story_ids, vector_hashes) -> dict[str, int]:
        """Remove these articles, their memberships, these stories (with their framing cache and lineage) and the
        cached vectors of these content hashes that no remaining article has, in one transaction; then VACUUM so
        the file shrinks. Returns what went, and the file's size before and after."""
        size_before = self.size()
        with self.transaction() as conn:
            ids, stories = [(i,) for i in article_ids], [(s,) for s in story_ids]
            conn.executemany("DELETE FROM story_members WHERE article_id = ?", ids)
            for table in ("stories", "story_framing", "story_csv", "story_lineage"):
                conn.executemany(f"DELETE FROM {table} WHERE story_id = ?", stories)
            # A story gone leaves no trail either: `successor` must not lead a link of it to where a few of its
            # articles once went.
            conn.executemany("DELETE FROM story_lineage WHERE parent_story_id = ?", stories)
            conn.executemany("DELETE FROM articles WHERE id = ?", ids)
            gone = [(h,) for h in sorted(set(vector_hashes)) if conn.execute(
                "SELECT 1 FROM articles WHERE doc_hash = ? LIMIT 1", (h,)).fetchone() is None]
            vectors = sum(conn.execute("DELETE FROM embeddings WHERE content_hash = ?", h).rowcount for h in gone)
        self.conn.execute("VACUUM")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # VACUUM writes the compacted copy into the WAL first
        return {"articles": len(ids), "stories": len(stories), "vectors": vectors, "bytes_before": size_before,
                "bytes_after": self.size()}

    def size(self) -> int:
        """Bytes on disk: the file and its write-ahead log."""
        return sum(path.stat().st_size for path in (self.path, self.path.with_name(self.path.name + "-wal"))
                   if path.exists())

    def lineage(self) -> pd.DataFrame:
        return without_nan(pd.read_sql_query("SELECT * FROM story_lineage ORDER BY run_id, story_id", self.conn))

    def successor(self, story_id: str) -> str | None:
        """The story that holds a story's articles now: itself while its id lives; after a regroup gave the id up
        (the story merged into another, or its largest part took another's id), the story that took most of its
        articles then, followed through later regroups. None for an id the store never had or has pruned."""
        current, seen = story_id, set()
        while current not in seen:
            if self.conn.execute("SELECT 1 FROM stories WHERE story_id = ?", (current,)).fetchone():
                return current
            seen.add(current)
            row = self.conn.execute(
                "SELECT story_id FROM story_lineage WHERE parent_story_id = ? AND story_id != ? "
                "ORDER BY run_id DESC, shared_articles DESC, story_id LIMIT 1", (current, current)).fetchone()
            if row is None:
                return None
            current = row[0]
        return None

    def runs(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM runs ORDER BY run_id", self.conn)
