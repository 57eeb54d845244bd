"""Incremental grouping: which stored articles a new batch can affect.

An article can only join a story with articles published within the time window of it, so new or changed
articles affect the articles of their own span of days (widened by the window) and the stories those articles are
already in. Everything else keeps its story untouched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def regroup_scope(article_ids: pd.Series, days: np.ndarray, changed: np.ndarray, previous: pd.DataFrame,
                  window: float | None) -> np.ndarray:
    """Boolean mask of the articles to regroup.

    `changed` marks new articles and those whose content changed since the last grouping; `previous` holds the
    last grouping's `article_id, story_id`. Everything is regrouped when there is no previous grouping, when
    dates are ignored (`window` None) or when a changed article has no date (it may belong with any article).
    """
    changed = np.asarray(changed, dtype=bool)
    if previous.empty or window is None or np.isnan(days[changed]).any():
        return np.ones(len(days), dtype=bool)
    if not changed.any():
        return changed
    first, last = np.min(days[changed]) - window, np.max(days[changed]) + window
    near = np.isnan(days) | ((days >= first) & (days <= last))
    story_of = article_ids.map(previous.set_index("article_id")["story_id"])
    touched = story_of[near].dropna().unique()
    return near | story_of.isin(touched).to_numpy()
