"""The one place that uses HDBSCAN's private functions.

Why: the grouping builds HDBSCAN's hierarchy from a sparse minimum spanning tree of mutual reachability (only each
article's nearest neighbours within the time window), which `hdbscan.HDBSCAN` cannot take: it wants all pairs. These
two functions are the ones `hdbscan.HDBSCAN.fit` itself calls after building its own spanning tree, so the stories
are HDBSCAN's, computed the way the library computes them. hdbscan is pinned below 0.9 in pyproject.toml, and
`tests/test_stories.py` checks the result against `hdbscan.HDBSCAN` on all pairs (the oracle).
"""

from __future__ import annotations

import numpy as np
from hdbscan._hdbscan_linkage import label as _single_linkage_tree
from hdbscan.hdbscan_ import _tree_to_labels


def hdbscan_labels(spanning_tree: np.ndarray, min_cluster_size: int, cluster_selection_method: str = "eom",
                   allow_single_cluster: bool = False, cluster_selection_epsilon: float = 0.0) -> np.ndarray:
    """HDBSCAN's flat clustering (-1 for noise) of a minimum spanning tree given as rows (a, b, distance) sorted by
    distance, as `hdbscan.HDBSCAN` selects it from its own tree."""
    labels, *_ = _tree_to_labels(None, _single_linkage_tree(spanning_tree), min_cluster_size=min_cluster_size,
                                 cluster_selection_method=cluster_selection_method,
                                 allow_single_cluster=allow_single_cluster,
                                 cluster_selection_epsilon=cluster_selection_epsilon)
    return labels
