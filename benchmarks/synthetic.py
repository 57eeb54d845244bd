"""Synthetic corpora for the scaling benchmark: precomputed article vectors, dates and gold events.

Events belong to topics (events of one topic sit closer to each other than to others, as same-topic news does),
last up to three days and have a few to dozens of articles; articles are noisy copies of their event's vector.
Within an event articles have cosine ~0.7, across events of one topic ~0.25, across topics ~0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DIM = 384


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def synthetic_corpus(n: int, per_day: int = 1000, topics: int = 300, seed: int = 0, size_p: float = 0.25):
    """(vectors float32 [n, 384], published_at Series, gold event ids) for n articles, `per_day` a day; event sizes are
    geometric with parameter `size_p` (mean 1 / size_p, a share size_p of the events single articles), at most 50."""
    rng = np.random.default_rng(seed)
    sizes = np.minimum(rng.geometric(size_p, size=n), 50)
    sizes = sizes[:np.searchsorted(np.cumsum(sizes), n) + 1]
    sizes[-1] -= sizes.sum() - n
    events = len(sizes)
    event_of = np.repeat(np.arange(events), sizes)
    topic_vectors = _unit(rng.standard_normal((topics, DIM)))
    event_vectors = _unit(0.6 * topic_vectors[rng.integers(0, topics, events)]
                          + 0.8 * _unit(rng.standard_normal((events, DIM))))
    vectors = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):  # in slices: the noise for 1M rows at once would double peak memory
        part = event_of[start:start + 100_000]
        noise = _unit(rng.standard_normal((len(part), DIM)))
        vectors[start:start + len(part)] = _unit(event_vectors[part] + 0.65 * noise)
    first_day = rng.uniform(0, max(n / per_day, 1), events)
    days = first_day[event_of] + rng.uniform(0, 2, n)
    published_at = pd.Series(pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(days, unit="D"))
    return vectors, published_at, event_of
