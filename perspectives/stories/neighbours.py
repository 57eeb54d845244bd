"""Candidate pairs for grouping: each article's nearest neighbours among the articles published within the time
window of it. An undated article is taken to be of the day of the dated article most like it: it is compared with
the dated articles within the window of that day, and with every other undated article (two undated articles may be
of any time). Where no article is dated, every pair is compared.

Comparing an article only with nearby days keeps the cost linear in the number of days instead of quadratic in the
corpus. The search is split into independent tasks (one day's articles, or a chunk of undated ones) so that a
mapper can run them anywhere (see `perspectives.distributed`) and the result does not depend on where they ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from perspectives.distributed import Mapper, local_map

# Query rows per task: bounds the similarity block in memory (rows x candidates float32).
CHUNK = 2048


def day_numbers(published_at, n: int) -> np.ndarray:
    """Days since 1970 as floats; NaN where the date is missing (or no dates were given at all)."""
    if published_at is None:
        return np.full(n, np.nan)
    stamps = pd.to_datetime(pd.Series(published_at).reset_index(drop=True), utc=True, errors="coerce", format="mixed")
    return ((stamps - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds() / 86400.0).to_numpy(dtype=float)


@dataclass(frozen=True)
class Task:
    """Find neighbours for `queries` among `candidates` (row indices into the corpus); `self_columns` says where
    each query sits among the candidates, so that it is not its own neighbour (None: no query is a candidate)."""

    queries: np.ndarray
    candidates: np.ndarray
    self_columns: np.ndarray | None


@dataclass
class NeighbourGraph:
    """Directed kNN edges: row `rows[e]` has neighbour `cols[e]` at cosine similarity `similarity[e]`."""

    n: int
    rows: np.ndarray
    cols: np.ndarray
    similarity: np.ndarray

    def among_first(self, n: int) -> NeighbourGraph:
        """The edges between the first `n` rows."""
        kept = (self.rows < n) & (self.cols < n)
        return NeighbourGraph(n, self.rows[kept], self.cols[kept], self.similarity[kept])

    def edges_from(self, rows: np.ndarray) -> np.ndarray:
        """The edges (indices) that leave `rows`, found in as many steps as there are (the index by row is built on
        the first call)."""
        by_row, starts = self._by_row
        return np.concatenate([by_row[starts[row]:starts[row + 1]] for row in rows]) if len(rows) else \
            np.empty(0, dtype=np.int64)

    @cached_property
    def _by_row(self) -> tuple[np.ndarray, np.ndarray]:
        by_row = np.argsort(self.rows, kind="stable")
        return by_row, np.searchsorted(self.rows[by_row], np.arange(self.n + 1))


def plan(days: np.ndarray, window: float | None, undated: np.ndarray,
         unlisted: np.ndarray | None = None) -> list[Task]:
    """Split the search into tasks: per calendar day for dated articles, per chunk for the `undated` ones, whose
    `days` are those `inferred_days` gave them (NaN where no article is dated); the `unlisted` undated articles are
    no dated article's candidates (their own lists are as usual)."""
    n = len(days)
    if window is None or np.isnan(days).all():
        return _all_against_all(np.arange(n), n)
    order = np.argsort(days, kind="stable")
    sorted_days = days[order]
    tasks = []
    for day in np.unique(np.floor(days[~undated])):
        first, last = np.searchsorted(sorted_days, [day, day + 1])
        lo, hi = np.searchsorted(sorted_days, [day - window, day + 1 + window], side="left")
        # The day's dated articles; an undated one inferred to be of this day is a candidate, not a query here.
        positions = np.arange(first, last)[~undated[order[first:last]]]
        listed = np.ones(hi - lo, dtype=bool) if unlisted is None else ~unlisted[order[lo:hi]]
        column = np.cumsum(listed) - 1
        for start in range(0, len(positions), CHUNK):
            chunk = positions[start:start + CHUNK]
            tasks.append(Task(order[chunk], order[lo:hi][listed], column[chunk - lo]))
    return tasks + _all_against_all(np.flatnonzero(undated), n)


def _all_against_all(queries: np.ndarray, n: int) -> list[Task]:
    everyone = np.arange(n)
    return [Task(queries[i:i + CHUNK], everyone, queries[i:i + CHUNK]) for i in range(0, len(queries), CHUNK)]


def nearest(query_vectors: np.ndarray, candidate_vectors: np.ndarray, self_columns: np.ndarray | None,
            query_days: np.ndarray, candidate_days: np.ndarray, window: float | None, k: int,
            query_undated: np.ndarray | None = None, candidate_undated: np.ndarray | None = None):
    """The k most similar candidates of each query within the window, itself excluded: (query row, candidate
    column, similarity) triples, rows and columns local to this task. Two undated articles (`query_undated`,
    `candidate_undated`) are compared whatever their days."""
    similarity = query_vectors @ candidate_vectors.T
    if self_columns is not None:
        similarity[np.arange(len(self_columns)), self_columns] = -np.inf
    if window is not None:
        # Only candidates near the window's edges can be out of it for some query; checking just those columns
        # saves most of the work. NaN days (nothing dated) compare False: content decides.
        edge = np.flatnonzero((candidate_days < np.max(query_days) - window)
                              | (candidate_days > np.min(query_days) + window))
        if edge.size:
            apart = np.abs(query_days[:, None] - candidate_days[edge][None, :]) > window
            if query_undated is not None and candidate_undated is not None:
                apart &= ~(query_undated[:, None] & candidate_undated[edge][None, :])
            block = similarity[:, edge]
            block[apart] = -np.inf
            similarity[:, edge] = block
    k = min(k, similarity.shape[1] - (self_columns is not None))
    if k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    top = np.argpartition(similarity, -k, axis=1)[:, -k:]
    values = np.take_along_axis(similarity, top, axis=1)
    keep = np.isfinite(values)
    rows = np.broadcast_to(np.arange(len(similarity))[:, None], top.shape)[keep]
    return rows, top[keep], values[keep]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (dot products become cosine similarities)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    return np.ascontiguousarray(vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12))


def ranked_lists(rows: np.ndarray, similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs sorted by row, most similar first (`rows[order]`), and each one's rank in its row's list
    (0 for the best)."""
    order = np.lexsort((-similarity, rows))
    rows = rows[order]
    return order, np.arange(len(rows)) - np.searchsorted(rows, rows)


def pulled_towards_best(unit: np.ndarray, rows: np.ndarray, cols: np.ndarray, similarity: np.ndarray,
                        count: np.ndarray, share: float) -> np.ndarray:
    """Each unit row plus `share` times the mean of its `count` (one per row) candidates (`rows[e]`
    lists `cols[e]`) most similar by `similarity`, as unit rows again; a row without any stays where it is."""
    order, rank = ranked_lists(rows, similarity)
    rows, cols = rows[order], cols[order]
    best = rank < count[rows]
    sums = np.zeros_like(unit)
    np.add.at(sums, rows[best], unit[cols[best]])
    counts = np.bincount(rows[best], minlength=len(unit))
    return unit_rows(unit + share * sums / np.maximum(counts, 1)[:, None])


def mean_cosine_within(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each group's mean cosine over the pairs of its unit rows, from their sum and count (0 for a group of one):
    |sum|^2 also counts each row with itself, so no pair matrix is built."""
    return (np.einsum("ij,ij->i", sums, sums) - counts) / np.maximum(counts * (counts - 1), 1)


def pair_cosines(unit: np.ndarray, rows: np.ndarray, cols: np.ndarray, block: int = 65_536) -> np.ndarray:
    """Dot product of each pair of rows (rows[e], cols[e]), their cosine where they are unit rows, a block of pairs at
    a time (bounds the memory)."""
    out = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), block):
        pairs = slice(start, start + block)
        out[pairs] = np.einsum("ij,ij->i", unit[rows[pairs]], unit[cols[pairs]])
    return out


def run_task(task: Task, vectors: np.ndarray, days: np.ndarray, window: float | None, k: int,
             undated: np.ndarray | None = None):
    """One task's neighbours as corpus rows: (rows, cols, similarity)."""
    flags = (None, None) if undated is None else (undated[task.queries], undated[task.candidates])
    rows, columns, similarity = nearest(vectors[task.queries], vectors[task.candidates], task.self_columns,
                                        days[task.queries], days[task.candidates], window, k, *flags)
    return task.queries[rows], task.candidates[columns], similarity.astype(np.float32)


def inferred_days(vectors: np.ndarray, days: np.ndarray,
                  mapper: Mapper | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`days` with each undated article given the day of the dated article most like it (`vectors`: unit rows),
    as they are where none or all are dated; and the row of that article for each undated one (-1 for the others).
    A report without a date is most likely of the time of the event it reports, and the dated article closest to
    it most likely reports that event."""
    dated = ~np.isnan(days)
    undated = np.flatnonzero(~dated)
    inferred, placed_by = days.copy(), np.full(len(days), -1)
    if not dated.any() or not len(undated):
        return inferred, placed_by
    candidates = np.flatnonzero(dated)
    tasks = [Task(undated[start:start + CHUNK], candidates, None) for start in range(0, len(undated), CHUNK)]
    results = (mapper or local_map)(run_task, tasks, vectors=vectors, days=days, window=None, k=1)
    for rows, cols, _ in results:
        inferred[rows], placed_by[rows] = days[cols], cols
    return inferred, placed_by


def neighbour_graph(vectors: np.ndarray, days: np.ndarray, window: float | None, k: int,
                    mapper: Mapper | None = None, undated: np.ndarray | None = None,
                    unlisted: np.ndarray | None = None) -> NeighbourGraph:
    """All tasks' neighbours (by cosine similarity) in one graph; `mapper` runs the tasks (default: here, one
    after another; see `perspectives.distributed`). `days` are NaN where undated, or, given `undated` (which rows
    had no date), already `inferred_days` (a caller searching the same articles again infers them once); `unlisted`
    as in `plan`."""
    vectors = unit_rows(vectors)
    if undated is None:
        undated = np.isnan(days)
        if window is not None:
            days = inferred_days(vectors, days, mapper)[0]
    results = (mapper or local_map)(run_task, plan(days, window, undated, unlisted), vectors=vectors, days=days,
                                    window=window, k=k, undated=undated)
    if not results:
        return NeighbourGraph(len(vectors), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
    rows, cols, similarity = (np.concatenate(parts) for parts in zip(*results))
    return NeighbourGraph(len(vectors), rows, cols, similarity)
