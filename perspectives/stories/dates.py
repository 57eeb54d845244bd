"""Dates that say nothing of their articles: a scraper that writes when it fetched a page, an archive's import time,
a feed's build date. Such dates scatter one story over weeks, and the time window then splits it (a set's dates
drawn at random over 30 days took the demo from 1.000 to 0.440). An outlet's dates are read as real where the
articles its own articles are most alike in other outlets, each other's nearest (mutual neighbours, mostly one
story's reports), lie within the time window more often than chance; where they are confidently no nearer than
that, the outlet's dates are not used for grouping (benchmarks/GROUPING.md, "Dates that say nothing").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Each article's nearest articles of other outlets that are compared, and the mutual ones among them counted.
NEIGHBOURS = 3
# An outlet's dates are not used where its mutual pairs' share within the window is, at 95% confidence (Wilson's
# upper bound), below chance plus this share of the way from chance to every pair: real dates put most outlets'
# 0.8-1.0 of them within the window (0.45 where MiniLM cannot read an untranslated language), fetch times chance's
# share (chosen among 0.3, 0.4 and 0.5 on the dated sets' crawl dates).
SHARE_ABOVE_CHANCE = 0.4
CONFIDENCE_Z = 1.645
# The articles whose neighbours are read (in larger corpora a sample, as many of each outlet as can be): the reading's
# cost stays proportional to the corpus.
SAMPLE = 1_000
CHUNK = 256
# Fewer dated articles are too few to tell recurring events (one text each week, its nearest the other weeks') from
# dates that say nothing: their dates are used as they are.
MIN_DATED = 40


def dates_unlike_content(unit: np.ndarray, days: np.ndarray, outlets: np.ndarray, window: float) -> np.ndarray:
    """Mask of the dated rows whose dates are not to be used: those of outlets whose dates do not agree with their
    articles' content (`unit`: unit rows, in an order of their own, such as the grouping's content order; `days`:
    days since 1970, NaN where undated; `outlets`: one name per row). With one outlet, articles are compared with all
    others. Outlets are read again without those set aside, until none is; fewer than MIN_DATED dated rows are
    left as they are."""
    ignored = np.zeros(len(days), dtype=bool)
    outlets = np.asarray(outlets, dtype=object)
    while (~np.isnan(days)).sum() >= MIN_DATED:
        used = ~np.isnan(days) & ~ignored
        unlike = [outlet for outlet, (pairs, near, chance) in _outlet_pairs(unit, days, outlets, used, window).items()
                  if near < pairs and _upper_bound(near, pairs) < chance + SHARE_ABOVE_CHANCE * (1 - chance)]
        if not unlike:
            return ignored
        ignored |= used & np.isin(outlets, unlike)
    return ignored


def _outlet_pairs(unit: np.ndarray, days: np.ndarray, outlets: np.ndarray, used: np.ndarray,
                  window: float) -> dict[str, tuple[int, int, float]]:
    """Per outlet: its sampled articles' mutual pairs, how many lie within the window, and chance's share."""
    rows = np.flatnonzero(used)
    one_outlet = len(set(outlets[rows])) < 2
    if len(rows) <= NEIGHBOURS:
        return {}
    # Round robin over the outlets, in the rows' order: each outlet's first article, then each one's second, ...
    rank = pd.Series(outlets[rows]).groupby(outlets[rows]).cumcount().to_numpy()
    sample = rows[np.lexsort((np.arange(len(rows)), rank))[:SAMPLE]]
    near_of = _nearest(unit, outlets, rows, sample, one_outlet)
    listed = rows[np.unique(near_of[near_of >= 0])]
    lists = {row: set(rows[theirs[theirs >= 0]].tolist())
             for row, theirs in zip(listed.tolist(), _nearest(unit, outlets, rows, listed, one_outlet))}
    chance = _chance(days, outlets, rows, sample, window, one_outlet)
    counted: dict[str, list[float]] = {}
    for k, row in enumerate(sample.tolist()):
        for other in rows[near_of[k][near_of[k] >= 0]].tolist():
            if row in lists[other]:
                counts = counted.setdefault(outlets[row], [0, 0, 0.0])
                counts[0] += 1
                counts[1] += abs(days[row] - days[other]) <= window
                counts[2] += chance[k]
    return {outlet: (int(pairs), int(near), total / pairs) for outlet, (pairs, near, total) in counted.items()}


def _nearest(unit: np.ndarray, outlets: np.ndarray, rows: np.ndarray, queries: np.ndarray,
             one_outlet: bool) -> np.ndarray:
    """For each query row, the positions in `rows` of its NEIGHBOURS most similar rows, of other outlets (any but
    itself where there is one outlet); -1 where fewer exist."""
    found = np.full((len(queries), NEIGHBOURS), -1)
    candidates = unit[rows]
    for start in range(0, len(queries), CHUNK):
        chunk = queries[start:start + CHUNK]
        similarity = unit[chunk] @ candidates.T
        own = rows if one_outlet else outlets[rows]
        excluded = own[None, :] == (chunk if one_outlet else outlets[chunk])[:, None]
        similarity[excluded] = -np.inf
        take = min(NEIGHBOURS, len(rows))
        best = np.argpartition(-similarity, take - 1, axis=1)[:, :take]
        best = np.take_along_axis(best, np.argsort(-np.take_along_axis(similarity, best, axis=1), axis=1,
                                                   kind="stable"), axis=1)
        valid = np.isfinite(np.take_along_axis(similarity, best, axis=1))
        found[start:start + len(chunk), :best.shape[1]] = np.where(valid, best, -1)
    return found


def _chance(days: np.ndarray, outlets: np.ndarray, rows: np.ndarray, sample: np.ndarray, window: float,
            one_outlet: bool) -> np.ndarray:
    """For each sampled row, the share of the rows it is compared with that lie within the window of it."""
    def within(sorted_days: np.ndarray, day: float) -> int:
        return int(np.searchsorted(sorted_days, day + window, "right") - np.searchsorted(sorted_days, day - window))

    everyone = np.sort(days[rows])
    own = {outlet: np.sort(days[rows[outlets[rows] == outlet]]) for outlet in set(outlets[sample])}
    shares = []
    for row in sample:
        mine = np.array([days[row]]) if one_outlet else own[outlets[row]]
        compared = len(everyone) - len(mine)
        shares.append((within(everyone, days[row]) - within(mine, days[row])) / max(compared, 1))
    return np.array(shares)


def _upper_bound(successes: int, trials: int) -> float:
    """Wilson's upper confidence bound on a share (CONFIDENCE_Z); 1 without trials."""
    if not trials:
        return 1.0
    share, z2 = successes / trials, CONFIDENCE_Z ** 2
    centre = share + z2 / (2 * trials)
    spread = CONFIDENCE_Z * np.sqrt(share * (1 - share) / trials + z2 / (4 * trials ** 2))
    return float((centre + spread) / (1 + z2 / trials))
