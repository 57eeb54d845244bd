"""Incremental grouping: which stored articles a new batch can affect.

An article can only join a story with articles published within the time window of it, so new or changed
articles affect the articles of their own span of days (widened by the window) and the stories those articles are
already in. Everything else keeps its story untouched. `regroup_window` is that span; `Store.regroup_window` reads
what it touches from the store in SQL, and `regroup_scope` is its in-memory twin (the same rule on a frame).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perspectives.stories.neighbours import day_numbers


def regroup_window(published_at: pd.Series, window: float | None, grouped: bool) -> tuple[str, str] | None:
    """The publication times (ISO, first and last) that new or changed articles published at `published_at` can
    touch; None when everything must be regrouped: nothing `grouped` yet, dates ignored (`window` None) or one of
    them undated (it may belong with any article)."""
    days = day_numbers(published_at, len(published_at))
    if not grouped or window is None or np.isnan(days).any():
        return None
    first, last = (pd.Timestamp(day * 86400.0, unit="s", tz="UTC") for day in (days.min() - window,
                                                                               days.max() + window))
    return first.strftime("%Y-%m-%dT%H:%M:%SZ"), last.strftime("%Y-%m-%dT%H:%M:%SZ")


def regroup_scope(articles: pd.DataFrame, changed: np.ndarray, previous: pd.DataFrame,
                  window: float | None) -> np.ndarray:
    """Boolean mask of `articles` (`id`, `published_at` as the store keeps it: ISO text) to regroup, as
    `Store.regroup_window` selects them: those published within the `regroup_window` of the `changed` ones or
    undated, and every article of the stories those are in (`previous`: the last grouping's `article_id,
    story_id`). Everything when `regroup_window` says so; nothing when nothing changed."""
    changed = np.asarray(changed, dtype=bool)
    if not changed.any():
        return changed
    bounds = regroup_window(articles["published_at"][changed], window, grouped=not previous.empty)
    if bounds is None:
        return np.ones(len(articles), dtype=bool)
    stamps = articles["published_at"]
    near = stamps.isna() | stamps.between(*bounds)
    story_of = articles["id"].map(previous.set_index("article_id")["story_id"])
    touched = story_of[near].dropna().unique()
    return (near | story_of.isin(touched)).to_numpy()
