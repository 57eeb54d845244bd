"""Candidate pairs for grouping: each article's nearest neighbours among the articles published within the time
window of it (all articles when either date is missing).

Comparing an article only with nearby days keeps the cost linear in the number of days instead of quadratic in the
corpus. The search is split into independent tasks (one day's articles, or a chunk of undated ones) so that a
mapper can run them anywhere (see `perspectives.distributed`) and the result does not depend on where they ran.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    each query sits among the candidates, so that it is not its own neighbour."""

    queries: np.ndarray
    candidates: np.ndarray
    self_columns: np.ndarray


@dataclass
class NeighbourGraph:
    """Directed kNN edges: row `rows[e]` has neighbour `cols[e]` at cosine similarity `similarity[e]`."""

    n: int
    rows: np.ndarray
    cols: np.ndarray
    similarity: np.ndarray


def plan(days: np.ndarray, window: float | None) -> list[Task]:
    """Split the search into tasks: per calendar day for dated articles, per chunk for undated ones."""
    n = len(days)
    dated = ~np.isnan(days)
    if window is None or not dated.any():
        return _all_against_all(np.arange(n), n)
    undated = np.flatnonzero(~dated)
    order = np.flatnonzero(dated)[np.argsort(days[dated], kind="stable")]
    sorted_days = days[order]
    tasks = []
    for day in np.unique(np.floor(sorted_days)):
        first, last = np.searchsorted(sorted_days, [day, day + 1])
        lo, hi = np.searchsorted(sorted_days, [day - window, day + 1 + window], side="left")
        candidates = np.concatenate([order[lo:hi], undated])  # in time order: the window's edges are contiguous
        for start in range(first, last, CHUNK):
            stop = min(start + CHUNK, last)
            tasks.append(Task(order[start:stop], candidates, np.arange(start - lo, stop - lo)))
    return tasks + _all_against_all(undated, n)


def _all_against_all(queries: np.ndarray, n: int) -> list[Task]:
    everyone = np.arange(n)
    return [Task(queries[i:i + CHUNK], everyone, queries[i:i + CHUNK]) for i in range(0, len(queries), CHUNK)]


def nearest(query_vectors: np.ndarray, candidate_vectors: np.ndarray, self_columns: np.ndarray,
            query_days: np.ndarray, candidate_days: np.ndarray, window: float | None, k: int):
    """The k most similar candidates of each query within the window, itself excluded: (query row, candidate
    column, similarity) triples, rows and columns local to this task."""
    similarity = query_vectors @ candidate_vectors.T
    similarity[np.arange(len(self_columns)), self_columns] = -np.inf
    if window is not None:
        # Only candidates near the window's edges can be out of it for some query; checking just those columns
        # saves most of the work. NaN days (no date) compare False: content decides.
        edge = np.flatnonzero((candidate_days < np.max(query_days) - window)
                              | (candidate_days > np.min(query_days) + window))
        if edge.size:
            block = similarity[:, edge]
            block[np.abs(query_days[:, None] - candidate_days[edge][None, :]) > window] = -np.inf
            similarity[:, edge] = block
    k = min(k, similarity.shape[1] - 1)
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


def pair_cosines(unit: np.ndarray, rows: np.ndarray, cols: np.ndarray, block: int = 65_536) -> np.ndarray:
    """Cosine of each pair of unit rows (rows[e], cols[e]), a block of pairs at a time (bounds the memory)."""
    out = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), block):
        pairs = slice(start, start + block)
        out[pairs] = np.einsum("ij,ij->i", unit[rows[pairs]], unit[cols[pairs]])
    return out


def run_task(task: Task, vectors: np.ndarray, days: np.ndarray, window: float | None, k: int):
    """One task's neighbours as corpus rows: (rows, cols, similarity)."""
    rows, columns, similarity = nearest(vectors[task.queries], vectors[task.candidates], task.self_columns,
                                        days[task.queries], days[task.candidates], window, k)
    return task.queries[rows], task.candidates[columns], similarity.astype(np.float32)


def neighbour_graph(vectors: np.ndarray, days: np.ndarray, window: float | None, k: int,
                    mapper: Mapper | None = None) -> NeighbourGraph:
    """All tasks' neighbours (by cosine similarity) in one graph; `mapper` runs the tasks (default: here, one
    after another; see `perspectives.distributed`)."""
    vectors = unit_rows(vectors)
    results = (mapper or local_map)(run_task, plan(days, window), vectors=vectors, days=days, window=window, k=k)
    if not results:
        return NeighbourGraph(len(vectors), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
    rows, cols, similarity = (np.concatenate(parts) for parts in zip(*results))
    return NeighbourGraph(len(vectors), rows, cols, similarity)
