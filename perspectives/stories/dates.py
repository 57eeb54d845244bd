"""Dates that say nothing of their articles: a scraper that writes when it fetched a page, an archive's import time,
a feed's build date. Such dates scatter one story over weeks, and the time window then splits it (a set's dates
drawn at random over 30 days took the demo from 1.000 to 0.440). An outlet's dates are read as real where the
articles of its language in other outlets that its own articles are most alike, each other's nearest and far more
alike than random pairs (mostly one story's reports), lie within the time window more often than chance; where they
are confidently no nearer than that, the outlet's dates are not used for grouping (benchmarks/GROUPING.md, "Dates that
say nothing"). Each outlet's days are read the same way: an outlet whose back catalogue is stamped with the day it was
fetched keeps its real dates, and the day's are set aside."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

# Each article's nearest articles of other outlets that are compared, and the mutual ones among them counted.
NEIGHBOURS = 3
# An outlet's dates are not used where its mutual pairs' share within the window is, at 95% confidence (Wilson's
# upper bound), below chance plus this share of the way from chance to every pair: real dates put 0.89-1.00 of them
# within the window (the demo's outlets, against chance's 0.10-0.28), fetch times chance's share. Chosen leaving one
# dated set out, on its crawl dates and its stories cut to single articles (benchmarks/GROUPING.md, "Dates that say
# nothing").
SHARE_ABOVE_CHANCE = 0.5
CONFIDENCE_Z = 1.645
# An outlet with fewer mutual pairs keeps its dates: two pairs of other stories' articles say little.
MIN_PAIRS = 3
# The articles whose neighbours are read (in larger corpora a sample, as many of each outlet as can be): the reading's
# cost stays proportional to the corpus.
SAMPLE = 1_000
CHUNK = 256
# A mutual pair counts where its cosine is this many standard deviations above random pairs' (of BACKGROUND_PAIRS):
# an article no other reports has mutual neighbours too, of other stories and any day, and most of a feed's events
# are reported once.
PAIR_Z = 3.0
BACKGROUND_PAIRS = 4_000
# Where more than this share of the dated articles is set aside, all are (see `dates_unlike_content`).
MOST = 0.5
# Fewer dated articles are too few to tell recurring events (one text each week, its nearest the other weeks') from
# dates that say nothing: their dates are used as they are.
MIN_DATED = 40


def dates_unlike_content(unit: np.ndarray, days: np.ndarray, outlets: np.ndarray, languages: np.ndarray,
                         window: float, queries: np.ndarray | None = None,
                         already: np.ndarray | None = None) -> np.ndarray:
    """Mask of the dated rows whose dates are not to be used: those of outlets whose dates do not agree with their
    articles' content (`unit`: unit rows, in an order of their own, such as the grouping's content order; `days`:
    days since 1970, NaN where undated; `outlets` and `languages`, those of the embedded texts: one per row). An
    article is compared with the articles of its language in other outlets: a model that reads a script but not its
    languages puts their articles nearest one another, whatever their stories. Outlets are read again without those
    set aside, until none is; where more than MOST of the dated rows are set aside, all are. Fewer than MIN_DATED dated
    rows, or one outlet (nothing to read its dates against), are left as they are. Once no further outlet is set
    aside, each outlet's days are read apart, at a confidence corrected for their number (an outlet's back catalogue
    stamped with the day it was fetched, beside its real dates), and the outlets again without them. `queries` (a
    mask) limits the articles whose neighbours are read to those rows; the others are only read against. The rows
    `already` set aside (a mask: an earlier reading's) are not read, and count among those set aside."""
    return _reading(unit, days, outlets, languages, window, queries, already)[0]


def dates_released(unit: np.ndarray, days: np.ndarray, outlets: np.ndarray, languages: np.ndarray, window: float,
                   already: np.ndarray) -> np.ndarray:
    """Mask of the rows `already` set aside (an earlier reading's) whose dates a reading afresh uses
    (`dates_unlike_content` with none set aside), where their outlet's pairs lie within the window confidently more
    often than the bar that sets dates aside (Wilson's lower bound above it, at the confidence an outlet is set aside
    at). A growing store's first readings, on a few pairs each, set aside outlets whose dates later readings find
    real; between the two bounds an outlet keeps what it has, so that one near the bar is not released and set aside
    again run after run."""
    already = ~np.isnan(days) & np.asarray(already, dtype=bool)
    if not already.any():
        return already
    afresh, pairs = _reading(unit, days, outlets, languages, window)
    like = {outlet for outlet, own in pairs.groupby("outlet") if len(own) >= MIN_PAIRS
            and _wilson(int(own["near"].sum()), len(own), -CONFIDENCE_Z) > _bar(float(own["chance"].mean()))}
    return already & ~afresh & np.isin(outlets, list(like))


def _reading(unit: np.ndarray, days: np.ndarray, outlets: np.ndarray, languages: np.ndarray, window: float,
             queries: np.ndarray | None = None, already: np.ndarray | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """`dates_unlike_content`'s mask, and the mutual pairs its last round read (`_mutual_pairs`: those of the dates
    it uses)."""
    dated = ~np.isnan(days)
    ignored = dated & (np.zeros(len(days), dtype=bool) if already is None else np.asarray(already, dtype=bool))
    outlets, languages = np.asarray(outlets, dtype=object), np.asarray(languages, dtype=object)
    queries = (np.ones(len(days), dtype=bool) if queries is None else np.asarray(queries, dtype=bool)) & ~ignored
    outlet_days = [(outlet, int(day)) if np.isfinite(day) else None for outlet, day in zip(outlets, np.floor(days))]
    # The first round reads the outlets set aside before as partners, as a reading of every outlet found them.
    used, pairs = dated, _no_pairs()
    if (dated & ~ignored).any() and dated.sum() >= MIN_DATED and len(set(outlets[dated])) >= 2:
        while True:
            pairs = _mutual_pairs(unit, days, outlets, languages, used, window, queries)
            aside = set(outlets[ignored]) - set(outlets[dated & ~ignored])  # outlets with no date left
            if unlike := _unlike(pairs, aside) - aside:
                ignored |= dated & np.isin(outlets, list(unlike))
            elif unlike := _unlike(by_day := _by_day(pairs), set(), _corrected_z(by_day)):
                ignored |= np.array([key in unlike for key in outlet_days])
            else:
                break
            used = dated & ~ignored
    # Where most dates are set aside, the few left would place every other article (as undated articles are placed):
    # all are set aside.
    return (dated if ignored.sum() > MOST * dated.sum() else ignored), pairs


def _unlike(pairs: pd.DataFrame, found: set, z: float = CONFIDENCE_Z) -> set:
    """The outlets of `pairs` (`_mutual_pairs`) whose share of pairs within the window is confidently no more than
    chance's (see SHARE_ABOVE_CHANCE), the most clearly unlike first, with those `found` before. A real outlet's pairs
    with an outlet of fetch times lie outside the window too, and could take its share below the bar with it: once an
    outlet is found unlike, the others are read on their pairs with the outlets not found, where they have MIN_PAIRS of
    them. `z`: the normal quantile of the confidence."""
    found = set(found)
    while True:
        margins = {}
        for outlet, own in pairs[~pairs["outlet"].isin(found)].groupby("outlet"):
            others = own[~own["partner"].isin(found)]
            read = others if len(others) >= MIN_PAIRS else own
            n, near = len(read), int(read["near"].sum())
            if n >= MIN_PAIRS and near < n:
                margins[outlet] = _bar(float(read["chance"].mean())) - _wilson(near, n, z)
        worst = max(margins, key=margins.__getitem__, default=None)
        if worst is None or margins[worst] <= 0:
            return found
        found.add(worst)


def _corrected_z(pairs: pd.DataFrame) -> float:
    """CONFIDENCE_Z made stricter for the number of units of `pairs` that could be found unlike: an outlet's days are
    many, and one of them would read as unlike by chance (a day's three reports of one of two events of a kind, paired
    with the other's). Tarone's correction of Bonferroni's for counts: a unit of n pairs can be found unlike at a
    confidence z only where z² < n·bar / (1 - bar) (none of its pairs within the window, Wilson's bound under the bar
    of `_unlike`); the confidence is that of the fewest units K for which no more than K can be found at 5% / K."""
    units = pairs.groupby("outlet").agg(n=("near", "size"), chance=("chance", "mean"))
    units = units[units["n"] >= MIN_PAIRS]
    bar = _bar(units["chance"].to_numpy())
    with np.errstate(divide="ignore"):
        reach = np.sqrt(units["n"].to_numpy() * bar / (1 - bar))  # the strictest z each unit can be found at
    for k in range(1, len(units) + 1):
        z = float(norm.isf(norm.sf(CONFIDENCE_Z) / k))
        if (reach > z).sum() <= k:
            return z
    return CONFIDENCE_Z


def _by_day(pairs: pd.DataFrame) -> pd.DataFrame:
    """`pairs` read by outlet and day instead of by outlet: each side an (outlet, day) of its own; only the pairs with
    articles of other days, against chance among those (outlets whose back catalogues were fetched on one day pair
    with one another on it); and one pair per article of the day, its most alike, and per article it pairs with (an
    article's pairs share its one date, and a day's copies of one article, at several links, are all their partner's
    nearest)."""
    other_days = pairs[pairs["day"] != pairs["partner_day"]]
    return other_days.assign(outlet=list(zip(other_days["outlet"], other_days["day"])),
                             partner=list(zip(other_days["partner"], other_days["partner_day"])),
                             chance=other_days["chance_elsewhere"]
                             ).drop_duplicates(["outlet", "row"]).drop_duplicates(["outlet", "partner_row"])


def _mutual_pairs(unit: np.ndarray, days: np.ndarray, outlets: np.ndarray, languages: np.ndarray, used: np.ndarray,
                  window: float, queries: np.ndarray) -> pd.DataFrame:
    """The mutual pairs among the `used` rows of a sample of those among `queries`: each one's `outlet`, its
    `partner`'s outlet, whether the two lie within the window (`near`), chance's share for the article (`chance`),
    the day each is dated (`day`, `partner_day`: whole days since 1970), the two rows (`row`, `partner_row`; a row's
    pairs come most alike first) and chance's share among the articles dated on other days than the article
    (`chance_elsewhere`)."""
    found = _no_pairs()
    rows = np.flatnonzero(used)
    if len(rows) <= NEIGHBOURS:
        return found
    # Round robin over the outlets, in the rows' order: each outlet's first article, then each one's second, ...
    asked = rows[queries[rows]]
    rank = pd.Series(outlets[asked]).groupby(outlets[asked]).cumcount().to_numpy()
    sample = asked[np.lexsort((np.arange(len(asked)), rank))[:SAMPLE]]
    # Compared as integer codes: comparing object arrays row by row took most of a year's reading.
    outlet_codes, language_codes = pd.factorize(outlets)[0], pd.factorize(languages)[0]
    near_of = _nearest(unit, outlet_codes, language_codes, rows, sample)
    listed = rows[np.unique(near_of[near_of >= 0])]
    lists = {row: set(rows[theirs[theirs >= 0]].tolist())
             for row, theirs in zip(listed.tolist(), _nearest(unit, outlet_codes, language_codes, rows, listed))}
    chance, elsewhere = _chance(days, outlets, languages, rows, sample, window)
    alike = _alike(unit, rows)
    counted = [(outlets[row], outlets[other], abs(days[row] - days[other]) <= window, chance[k],
                int(np.floor(days[row])), int(np.floor(days[other])), row, other, elsewhere[k])
               for k, row in enumerate(sample.tolist()) for other in rows[near_of[k][near_of[k] >= 0]].tolist()
               if row in lists[other] and float(unit[row] @ unit[other]) >= alike]
    return pd.DataFrame(counted, columns=found.columns) if counted else found


def _no_pairs() -> pd.DataFrame:
    """`_mutual_pairs`' frame without a pair."""
    return pd.DataFrame({"outlet": pd.Series(dtype=object), "partner": pd.Series(dtype=object),
                         "near": pd.Series(dtype=bool), "chance": pd.Series(dtype=float),
                         "day": pd.Series(dtype=int), "partner_day": pd.Series(dtype=int),
                         "row": pd.Series(dtype=int), "partner_row": pd.Series(dtype=int),
                         "chance_elsewhere": pd.Series(dtype=float)})


def _alike(unit: np.ndarray, rows: np.ndarray) -> float:
    """The cosine from which a pair is read as one story's: PAIR_Z standard deviations above the mean of random
    pairs of `rows` (BACKGROUND_PAIRS of them, drawn with a fixed seed)."""
    rng = np.random.default_rng(0)
    first, second = rng.choice(rows, BACKGROUND_PAIRS), rng.choice(rows, BACKGROUND_PAIRS)
    keep = first != second
    cosines = np.einsum("ij,ij->i", unit[first[keep]], unit[second[keep]])
    return float(cosines.mean() + PAIR_Z * cosines.std())


def _nearest(unit: np.ndarray, outlets: np.ndarray, languages: np.ndarray, rows: np.ndarray,
             queries: np.ndarray) -> np.ndarray:
    """For each query row, the positions in `rows` of its NEIGHBOURS most similar rows of its language in other
    outlets; -1 where fewer exist."""
    found = np.full((len(queries), NEIGHBOURS), -1)
    candidates = unit[rows]
    for start in range(0, len(queries), CHUNK):
        chunk = queries[start:start + CHUNK]
        similarity = unit[chunk] @ candidates.T
        np.putmask(similarity, (outlets[rows][None, :] == outlets[chunk][:, None])
                   | (languages[rows][None, :] != languages[chunk][:, None]), -np.inf)
        # The few best by repeated maxima: a partition of every row of a year's store took most of its reading.
        every = np.arange(len(chunk))
        for slot in range(min(NEIGHBOURS, len(rows))):
            best = similarity.argmax(axis=1)
            found[start + every, slot] = np.where(np.isfinite(similarity[every, best]), best, -1)
            similarity[every, best] = -np.inf
    return found


def _chance(days: np.ndarray, outlets: np.ndarray, languages: np.ndarray, rows: np.ndarray, sample: np.ndarray,
            window: float) -> tuple[np.ndarray, np.ndarray]:
    """For each sampled row, the share of the rows it is compared with (its language's, in other outlets) that lie
    within the window of it; and that share among those dated on other days than its own (`_by_day` reads its pairs
    with them alone)."""
    def within(sorted_days: np.ndarray, day: float) -> int:
        return int(np.searchsorted(sorted_days, day + window, "right") - np.searchsorted(sorted_days, day - window))

    def on_its_day(sorted_days: np.ndarray, day: float) -> tuple[int, int]:
        """How many are dated on the calendar day of `day`, and how many of those lie within the window of it."""
        today = np.floor(day)
        first, low = np.searchsorted(sorted_days, today), np.searchsorted(sorted_days, max(today, day - window))
        end = np.searchsorted(sorted_days, today + 1)
        high = end if today + 1 <= day + window else np.searchsorted(sorted_days, day + window, "right")
        return int(end - first), int(high - low)

    frame = pd.DataFrame({"day": days[rows], "language": languages[rows], "outlet": outlets[rows]})
    by_language = {key: np.sort(group.to_numpy()) for key, group in frame.groupby("language")["day"]}
    by_outlet = {key: np.sort(group.to_numpy()) for key, group in frame.groupby(["language", "outlet"])["day"]}
    shares, elsewhere = [], []
    for row in sample:
        language, day = languages[row], days[row]
        everyone, mine = by_language[language], by_outlet[(language, outlets[row])]
        near, others = within(everyone, day) - within(mine, day), len(everyone) - len(mine)
        shares.append(near / max(others, 1))
        (all_today, all_near), (mine_today, mine_near) = on_its_day(everyone, day), on_its_day(mine, day)
        elsewhere.append((near - all_near + mine_near) / max(others - all_today + mine_today, 1))
    return np.array(shares), np.array(elsewhere)


def _bar(chance):
    """The share of pairs within the window below which their dates are chance's (see SHARE_ABOVE_CHANCE), given
    chance's share (a number, or an array of them)."""
    return chance + SHARE_ABOVE_CHANCE * (1 - chance)


def _wilson(successes: int, trials: int, z: float = CONFIDENCE_Z) -> float:
    """Wilson's confidence bound on a share: the upper at `z` (the normal quantile of its confidence), the lower at
    -`z`; 1 and 0 without trials."""
    if not trials:
        return float(z > 0)
    share, z2 = successes / trials, z ** 2
    centre = share + z2 / (2 * trials)
    spread = z * np.sqrt(share * (1 - share) / trials + z2 / (4 * trials ** 2))
    return float((centre + spread) / (1 + z2 / trials))
