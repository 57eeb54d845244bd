"""Stage 4: group articles about the same event into stories (HDBSCAN over embeddings, time-aware)."""

from __future__ import annotations

import hdbscan
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin

# Distance given to pairs published too far apart to share a story: larger than any cosine distance (max 2).
_FAR = 4.0


def cosine_distances(vectors: np.ndarray) -> np.ndarray:
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.clip(1.0 - unit @ unit.T, 0.0, 2.0).astype(np.float64)


def days_apart(published_at) -> np.ndarray | None:
    """Pairwise distance in days; pairs where either date is missing count as 0 (content decides)."""
    if published_at is None:
        return None
    stamps = pd.to_datetime(pd.Series(published_at), utc=True, errors="coerce")
    days = (stamps - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy() / 86400.0
    gaps = np.abs(days[:, None] - days[None, :])
    return np.nan_to_num(gaps, nan=0.0)


class StoryClusterer(ClusterMixin, BaseEstimator):
    """Density-based grouping of article vectors into stories.

    Pairs published more than `time_window_days` apart are kept out of the same story. Articles HDBSCAN calls
    noise become single-article stories, so every article ends in exactly one story. Labels are numbered by each
    story's first article in input order, which makes the result independent of HDBSCAN's internal numbering.
    """

    def __init__(self, min_cluster_size: int = 2, min_samples: int = 1, time_window_days: float | None = 3.0,
                 cluster_selection_method: str = "eom", cluster_selection_epsilon: float = 0.0,
                 allow_single_cluster: bool = False):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.time_window_days = time_window_days
        self.cluster_selection_method = cluster_selection_method
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.allow_single_cluster = allow_single_cluster

    def fit(self, X, y=None, published_at=None):
        X = np.asarray(X, dtype=np.float32)
        n = len(X)
        raw = self._density_labels(X, published_at) if n >= max(2, self.min_cluster_size) else np.full(n, -1)
        self.labels_ = _renumber_with_singletons(raw)
        self.n_stories_ = int(self.labels_.max() + 1) if n else 0
        self.noise_mask_ = raw < 0
        return self

    def _density_labels(self, X: np.ndarray, published_at) -> np.ndarray:
        distances = cosine_distances(X)
        gaps = days_apart(published_at)
        if gaps is not None and self.time_window_days is not None:
            distances[gaps > self.time_window_days] = _FAR
        model = hdbscan.HDBSCAN(
            metric="precomputed", min_cluster_size=self.min_cluster_size, min_samples=self.min_samples,
            cluster_selection_method=self.cluster_selection_method,
            cluster_selection_epsilon=self.cluster_selection_epsilon, allow_single_cluster=self.allow_single_cluster,
        )
        return model.fit_predict(distances)

    def fit_predict(self, X, y=None, published_at=None):
        return self.fit(X, published_at=published_at).labels_


def _renumber_with_singletons(raw: np.ndarray) -> np.ndarray:
    """Give each noise point its own label and number labels by first appearance."""
    labels = np.empty(len(raw), dtype=np.int64)
    mapping: dict[int, int] = {}
    for i, label in enumerate(raw):
        key = -(i + 1) if label < 0 else int(label)
        labels[i] = mapping.setdefault(key, len(mapping))
    return labels
