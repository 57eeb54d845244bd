"""HDBSCAN's hierarchy from the sparse neighbour graph: mutual reachability over the candidate pairs, their minimum
spanning tree, and HDBSCAN's flat clustering of it.

This is also the one place that uses HDBSCAN's private functions. Why: the tree is built from a sparse graph (only
each article's nearest neighbours within the time window), which `hdbscan.HDBSCAN` cannot take: it wants all pairs.
`hdbscan_clusters` calls the two functions `hdbscan.HDBSCAN.fit` itself calls after building its own spanning tree, so
the stories are HDBSCAN's, computed the way the library computes them. hdbscan is pinned below 0.9 in
pyproject.toml, and `tests/test_stories.py` checks the result against `hdbscan.HDBSCAN` on all pairs (the oracle).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from hdbscan._hdbscan_linkage import label as _single_linkage_tree
from hdbscan.hdbscan_ import _tree_to_labels
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

from perspectives.stories.neighbours import NeighbourGraph

# Keeps identical texts (distance 0) as edges: sparse graphs treat an explicit 0 as "no edge".
_TINY = 1e-12


def mutual_reachability(graph: NeighbourGraph, similarity: np.ndarray, min_samples: int) -> np.ndarray:
    """HDBSCAN's mutual reachability distance of each candidate pair of `graph` (`similarity`: the pair's): its
    distance (1 - similarity), or the larger core distance of its two ends where that is larger."""
    distance = np.clip(1.0 - similarity.astype(np.float64), _TINY, 2.0)
    core = _core_distances(graph, distance, min_samples)
    return np.maximum(distance, np.maximum(core[graph.rows], core[graph.cols]))


def _core_distances(graph, distance: np.ndarray, min_samples: int) -> np.ndarray:
    """Each article's distance to its `min_samples`-th nearest neighbour (HDBSCAN's core distance); 0 without one."""
    order = np.lexsort((distance, graph.rows))
    rows, sorted_distance = graph.rows[order], distance[order]
    first = np.searchsorted(rows, np.arange(graph.n))
    count = np.bincount(rows, minlength=graph.n)
    core = np.zeros(graph.n)
    has = count >= min_samples
    core[has] = sorted_distance[first[has] + min_samples - 1]
    return core


def spanning_tree(n: int, rows: np.ndarray, cols: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum spanning tree of the graph as (a, b, weight) rows sorted by weight, and each row's part. Parts with
    no edge between them (e.g. days further apart than the window) are joined at the largest weight, as if every
    pair between them were that far apart: a larger constant would make whole parts look like long-lived clusters
    to HDBSCAN."""
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    order = np.lexsort((weight, high, low))
    low, high, weight = low[order], high[order], weight[order]
    first = np.ones(len(low), dtype=bool)
    first[1:] = (low[1:] != low[:-1]) | (high[1:] != high[:-1])  # one edge per pair: the smallest weight
    forest = minimum_spanning_tree(coo_matrix((weight[first], (low[first], high[first])), shape=(n, n)).tocsr()).tocoo()
    edges = [np.column_stack([forest.row, forest.col, forest.data])]
    parts, part_of = connected_components(forest, directed=False)
    if parts > 1:
        roots = np.unique(part_of, return_index=True)[1]
        far = weight.max() if len(weight) else 1.0
        edges.append(np.column_stack([np.full(parts - 1, roots[0]), roots[1:], np.full(parts - 1, far)]))
    tree = np.concatenate(edges).astype(np.float64)
    return tree[np.argsort(tree[:, 2], kind="stable")], part_of


def subset_tree(graph: NeighbourGraph, distance: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The spanning tree (as `spanning_tree` gives it) of `graph`'s pairs among `rows` (at `distance`), numbered
    within `rows`: HDBSCAN cuts it as a corpus of its own, the rows' whole being its root, never a story."""
    local = np.full(graph.n, -1)
    local[rows] = np.arange(len(rows))
    pairs = (local[graph.rows] >= 0) & (local[graph.cols] >= 0)
    return spanning_tree(len(rows), local[graph.rows[pairs]], local[graph.cols[pairs]], distance[pairs])[0]


def parts_kept_whole(tree: np.ndarray, part_of: np.ndarray, labels: np.ndarray,
                      min_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each part of at least `min_size` rows that HDBSCAN put in one cluster, as its rows and its own spanning tree
    (the edges of `tree` among them, numbered within the part). A part's join to the rest is a stand-in distance, so
    its stability says nothing about whether it is one story: where the evidence inside it is weak (short texts,
    untranslated languages), excess of mass kept whole weeks as one story."""
    order = np.argsort(part_of, kind="stable")
    size = np.bincount(part_of)
    start = np.r_[0, np.cumsum(size)[:-1]]
    lowest, highest = (reduce.reduceat(labels[order], start) for reduce in (np.minimum, np.maximum))
    whole = np.flatnonzero((size >= min_size) & (lowest >= 0) & (lowest == highest))
    if not len(whole):
        return
    local = np.empty(len(part_of), dtype=np.int64)
    local[order] = np.arange(len(part_of)) - start[part_of[order]]
    ends = tree[:, :2].astype(np.int64)
    inner = np.flatnonzero(part_of[ends[:, 0]] == part_of[ends[:, 1]])
    inner = inner[np.argsort(part_of[ends[inner, 0]], kind="stable")]  # by part, each part's edges still by weight
    edge_start = np.searchsorted(part_of[ends[inner, 0]], np.arange(len(size) + 1))
    for part in whole:
        edges = inner[edge_start[part]:edge_start[part + 1]]
        yield order[start[part]:start[part] + size[part]], np.column_stack(
            [local[ends[edges, 0]], local[ends[edges, 1]], tree[edges, 2]])


def hdbscan_clusters(tree: np.ndarray, min_cluster_size: int, cluster_selection_method: str = "eom",
                     allow_single_cluster: bool = False,
                     cluster_selection_epsilon: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """HDBSCAN's flat clustering (-1 for noise) of a minimum spanning `tree` given as rows (a, b, distance) sorted by
    distance, as `hdbscan.HDBSCAN` selects it from its own tree, and the condensed tree it selected them from
    (HDBSCAN's: rows of parent, child, lambda_val, child_size; the rows are 0..n-1, the clusters n and up, n the
    root)."""
    labels, _, _, condensed, _ = _tree_to_labels(None, _single_linkage_tree(tree), min_cluster_size=min_cluster_size,
                                                 cluster_selection_method=cluster_selection_method,
                                                 allow_single_cluster=allow_single_cluster,
                                                 cluster_selection_epsilon=cluster_selection_epsilon)
    return labels, condensed


def two_child_clusters(condensed: np.ndarray, labels: np.ndarray) -> Iterator[tuple[np.ndarray, list[np.ndarray]]]:
    """Each cluster of `labels` that splits into exactly two clusters in the `condensed` tree it was selected from
    (HDBSCAN's excess of mass keeps a parent over its children where it is the more stable), as its rows and the rows
    under each child; its rows that fall out above the split are under neither."""
    n = len(labels)
    is_cluster = condensed["child"] >= n
    parent_of = dict(zip(condensed["child"][is_cluster], condensed["parent"][is_cluster]))
    size_of = dict(zip(condensed["child"][is_cluster], condensed["child_size"][is_cluster]))
    size_of[n] = n
    children: dict[int, list[int]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)
    falls_from = np.empty(n, dtype=np.int64)  # the cluster each row falls out of
    falls_from[condensed["child"][~is_cluster]] = condensed["parent"][~is_cluster]
    for rows in cluster_rows(labels):
        node = falls_from[rows[0]]
        while size_of[node] < len(rows):  # up to the cluster selected: every row under it carries its label
            node = parent_of[node]
        if len(children.get(node, [])) == 2:
            yield rows, [rows[np.isin(falls_from[rows], _subtree(children, child))] for child in children[node]]


def cluster_rows(labels: np.ndarray) -> list[np.ndarray]:
    """The rows of each cluster of `labels` (noise, -1, left out), by label, found in one sort."""
    order = np.argsort(labels, kind="stable")
    found, starts = np.unique(labels[order], return_index=True)
    return [rows for label, rows in zip(found, np.split(order, starts[1:])) if label >= 0]


def _subtree(children: dict[int, list[int]], node: int) -> list[int]:
    """`node` and every cluster below it."""
    found, stack = [node], [node]
    while stack:
        below = children.get(stack.pop(), [])
        found.extend(below)
        stack.extend(below)
    return found
