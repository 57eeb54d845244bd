"""The steps after HDBSCAN's cut: noise joined to its story (`join_nearest_story`, `join_own_story`,
`join_read_story`), noise pairs made stories (`pair_noise`), pieces of a large story merged (`merge_close_stories`),
stories of no common language joined (`merge_across_languages`), intruders taken out (`take_out_misfits`, by
`member_fit`), and the noise numbered as single-article stories. Each takes and returns raw labels (-1 for noise);
`StoryClusterer` decides where each applies (benchmarks/GROUPING.md, steps 4-6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix

from perspectives.stories.evidence import figures_conflict, row_dots
from perspectives.stories.neighbours import mean_cosine_within, pair_cosines, ranked_lists, unit_rows

# The smallest story a member is taken out of: in a story of three, two of the three fits whose median is the
# reference hold the member's own cosines, and BASIL dev's titles lost right articles from their triplets.
MIN_FIT_STORY = 4


def join_nearest_story(graph, similarity: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Noise articles join the cluster of their most similar clustered neighbour. Used where stories outgrow the
    neighbour lists: there HDBSCAN's noise is mostly the loose fringe of large stories (on corpora of small
    stories it is mostly true single-article stories, which keep their own)."""
    joins = (raw[graph.rows] < 0) & (raw[graph.cols] >= 0)
    rows, cols = graph.rows[joins], graph.cols[joins]
    order = np.lexsort((-similarity[joins], rows))
    rows, cols = rows[order], cols[order]
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, dtype=bool)
    joined = raw.copy()
    joined[rows[first]] = raw[cols[first]]
    return joined


def join_own_story(graph, raw: np.ndarray, open_ended: np.ndarray) -> np.ndarray:
    """Noise articles whose list ends inside their story join the cluster holding more than half of their list.
    Used where the lists do not grow: such an article's story is longer than its list (so it is not a
    single-article story, whose list ends outside it), and the cluster most of its list is in is that story;
    excess of mass leaves the loose fringe of such stories as noise (short texts)."""
    asking = open_ended[graph.rows]
    return _join_most(graph.rows, graph.cols, raw, asking, np.bincount(graph.rows, minlength=len(raw)))


def join_read_story(graph, similarity: np.ndarray, raw: np.ndarray, sizes: np.ndarray,
                    into: np.ndarray | None = None) -> np.ndarray:
    """Noise articles whose list reads a story of three or more (`sizes`, see `granularity.list_ends`: the article and
    its first size - 1 candidates by `similarity`; NaN: not asked) join the cluster holding more than half of that
    story, of the clusters of the rows `into` marks (default any). Used where the lists read stories of six or more (all
    of them, or a dated article's own and its cluster's): there HDBSCAN's minimum of three or more, not the evidence,
    leaves the loose fringe of a story as noise (most of the story it reads in one cluster, the article outside it).
    Where they read pairs and triplets, an article left as noise is one no other took, and its list reads its topic
    (NeuS's crowded triplets)."""
    read = np.nan_to_num(sizes, nan=0.0) - 1
    order, rank = ranked_lists(graph.rows, similarity)
    rows, cols = graph.rows[order], graph.cols[order]
    asking = (rank < read[rows]) & (read[rows] >= 2)
    if into is not None:
        asking &= into[cols]
    return _join_most(rows, cols, raw, asking, read)


def _join_most(rows: np.ndarray, cols: np.ndarray, raw: np.ndarray, asking: np.ndarray,
               listed: np.ndarray) -> np.ndarray:
    """Each noise row joins the cluster that holds more than half of its `listed` candidates, counting the pairs
    (`rows[e]` lists `cols[e]`) where `asking`."""
    asking = asking & (raw[rows] < 0) & (raw[cols] >= 0)
    # One integer key per (row, cluster): np.unique on integers is far faster than on stacked rows.
    width = np.int64(max(raw.max(initial=-1) + 1, 1))
    keys, counts = np.unique(rows[asking].astype(np.int64) * width + raw[cols[asking]], return_counts=True)
    row, cluster = np.divmod(keys, width)
    most = counts > listed[row] / 2
    joined = raw.copy()
    joined[row[most]] = cluster[most]
    return joined


def pair_noise(graph, similarity: np.ndarray, raw: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Two noise articles that are each other's best candidate, and whose lists both read a story of two (the article
    and its first neighbour), become one story. Where most stories are larger, the minimum read keeps no story of two
    and its articles fall out as noise (SemEval 2022's pairs: benchmarks/GROUPING.md, "Multilingual pairs")."""
    if not len(raw):
        return raw
    target = _mutual_best(len(raw), graph.rows, graph.cols, similarity)
    larger = np.flatnonzero(target != np.arange(len(raw)))
    smaller = target[larger]
    alone_in_two = (raw < 0) & (sizes == 2)
    paired = alone_in_two[larger] & alone_in_two[smaller]
    joined = raw.copy()
    joined[larger[paired]] = joined[smaller[paired]] = raw.max() + 1 + np.arange(paired.sum())
    return joined


def merge_close_stories(graph, unit: np.ndarray, raw: np.ndarray, share: float, history: np.ndarray | None = None,
                        history_weight: float = 0.0) -> np.ndarray:
    """Merge stories (labels >= 0 in `raw`; noise, -1, stays) that the graph links and whose mean cosine between
    articles (`unit`: unit rows) is at least `share` of the mean within the looser of the two. Average linkage in
    rounds: each round merges the pairs that are each other's best (highest ratio), then the means are recomputed.
    Given `history` (each row's previous story code, -1 for none), a pair of articles the previous grouping put in
    one story counts `history_weight` more similar, as in the pair graph.
    """
    labels = raw.copy()
    unit = unit.astype(np.float64)
    before = _one_hot(history if history is not None and history_weight else np.full(len(labels), -1))
    while True:
        clustered = labels >= 0
        labels[clustered] = np.unique(labels[clustered], return_inverse=True)[1]
        count = np.bincount(labels[clustered])
        members = np.flatnonzero(clustered)
        story_rows = coo_matrix((np.ones(len(members)), (labels[members], members)),
                                shape=(len(count), len(labels))).tocsr()
        sums, together = story_rows @ unit, (story_rows @ before).tocsr()
        every = np.arange(len(count))
        # Pairs within a story: all ordered pairs of its articles, less each article with itself.
        together_within = row_dots(together, every, every) - np.asarray(together.sum(axis=1)).ravel()
        within = mean_cosine_within(sums, count) + history_weight * together_within / np.maximum(count * (count - 1), 1)
        a, b = labels[graph.rows], labels[graph.cols]
        linked = (a >= 0) & (b >= 0) & (a != b)
        # One key per unordered pair: np.unique on integers is far faster than on rows.
        keys = np.unique(np.minimum(a, b)[linked] * len(count) + np.maximum(a, b)[linked])
        if not len(keys):
            return labels
        first, second = np.divmod(keys, len(count))
        between = (np.einsum("ij,ij->i", sums[first], sums[second])
                   + history_weight * row_dots(together, first, second)) / (count[first] * count[second])
        looser = np.minimum(within[first], within[second])
        close = between >= share * looser
        if not close.any():
            return labels
        target = _mutual_best(len(count), first[close], second[close],
                              between[close] / np.maximum(looser[close], 1e-9))
        if np.array_equal(target, np.arange(len(target))):
            return labels
        labels[clustered] = target[labels[clustered]]


def _one_hot(codes: np.ndarray):
    """Sparse rows with a 1 in each row's code's column (none for -1)."""
    has = np.flatnonzero(codes >= 0)
    return coo_matrix((np.ones(len(has)), (has, codes[has])), shape=(len(codes), max(codes.max() + 1, 1))).tocsr()


def _mutual_best(size: int, first: np.ndarray, second: np.ndarray, score: np.ndarray) -> np.ndarray:
    """For nodes 0..size-1 linked by pairs (first, second) with a score, the node each one merges into: the smaller
    of two nodes that are each other's highest-scoring partner; itself otherwise."""
    nodes, partners = np.concatenate([first, second]), np.concatenate([second, first])
    order = np.lexsort((-np.concatenate([score, score]), nodes))
    nodes, partners = nodes[order], partners[order]
    best = np.arange(size)
    leading = np.r_[True, nodes[1:] != nodes[:-1]][:len(nodes)]
    best[nodes[leading]] = partners[leading]
    target = np.arange(size)
    mutual = (best[best] == np.arange(size)) & (best != np.arange(size))
    target[mutual] = np.minimum(np.arange(size), best)[mutual]
    return target


def _mutual_pairs(size: int, first: np.ndarray, second: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mutual best pairs of `_mutual_best`: each pair's higher-numbered node and the lower-numbered one it goes
    into."""
    best = _mutual_best(size, first, second, score)
    moved = np.flatnonzero(best != np.arange(size))
    return moved, best[moved]


def _join_in_rounds(raw: np.ndarray, joins) -> np.ndarray:
    """Stories (noise: each article a story of its own) joined in rounds: `joins(labels, count)` (labels 0..n-1 and
    each one's size) gives the round's stories and those each goes into, until it gives none. Noise left alone stays
    noise."""
    labels = np.where(raw >= 0, raw, raw.max(initial=-1) + 1 + np.arange(len(raw)))
    while True:
        labels = np.unique(labels, return_inverse=True)[1]
        count = np.bincount(labels)
        moved, into = joins(labels, count)
        if not len(moved):
            return np.where(np.bincount(labels)[labels] > 1, labels, -1)
        target = np.arange(len(count))
        target[moved] = into
        labels = target[labels]


def member_fit(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's mean cosine with the other rows of its story (`labels` >= 0); NaN alone and in the noise. A row's
    cosines with its story's rows sum to its dot with their sum, its own among them: no pair matrix is built."""
    unit = unit_rows(vectors).astype(np.float64)
    fit = np.full(len(labels), np.nan)
    rows = np.flatnonzero(labels >= 0)
    stories, story = np.unique(labels[rows], return_inverse=True)
    sums = np.zeros((len(stories), unit.shape[1]))
    np.add.at(sums, story, unit[rows])
    others = np.einsum("ij,ij->i", unit[rows], sums[story]) - np.einsum("ij,ij->i", unit[rows], unit[rows])
    size = np.bincount(story)[story]
    fit[rows] = np.where(size > 1, others / np.maximum(size - 1, 1), np.nan)
    return fit


def take_out_misfits(vectors: np.ndarray, raw: np.ndarray, share: float, languages: np.ndarray) -> np.ndarray:
    """Noise (-1) for the members of stories of at least MIN_FIT_STORY, in their story's most common language
    (`languages`: each row's, as embedded), whose fit is below `share` of their story's median fit. A member in
    another language fits less for its language alone where the model reads one of them poorly (MiniLM without
    translations), so its fit says nothing of its place."""
    fit = member_fit(vectors, raw)
    by_story = pd.Series(fit).groupby(raw)
    median, size = (by_story.transform(how).to_numpy() for how in ("median", "size"))
    return np.where((size >= MIN_FIT_STORY) & (median > 0) & (fit < share * median)
                    & (languages == _most_common(raw, languages)), -1, raw)


def _most_common(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each row's most common value among the rows of its label (ties: the first in sorted order)."""
    counts = pd.DataFrame({"label": labels, "value": values}).groupby(["label", "value"]).size().reset_index(name="n")
    first = counts.sort_values(["label", "n", "value"], ascending=[True, False, True]).drop_duplicates("label")
    return pd.Series(labels).map(first.set_index("label")["value"]).to_numpy()


def renumber_with_singletons(raw: np.ndarray) -> np.ndarray:
    """Give each noise point its own label and number labels by first appearance."""
    labels = np.empty(len(raw), dtype=np.int64)
    mapping: dict[int, int] = {}
    for i, label in enumerate(raw):
        key = -(i + 1) if label < 0 else int(label)
        labels[i] = mapping.setdefault(key, len(mapping))
    return labels


def merge_across_languages(graph, unit: np.ndarray, raw: np.ndarray, languages: np.ndarray, share: float,
                           figures, read: np.ndarray) -> np.ndarray:
    """Merge two stories (noise: each article a story of its own) that share no language, that the graph links, and
    that are each other's closest story by their mean cosine between over the looser one's mean within (`unit`: unit
    rows, centred per language), where that ratio is at least `share`, unless both state figures naming an event
    (`figures`: binary rows, step 2's) and share none. A model reads some languages less well than others and keeps
    one event's reports in them apart from the rest (a story in Hindi, Bengali and Tamil beside its English and
    Russian one); two events of one kind are mostly reported in languages they share. A story holding a row whose
    language the vectors do not read (`read`: a mask; an English-only model's other languages) is left as it is.
    Noise left alone stays noise."""
    by_language = _one_hot(pd.factorize(np.asarray(languages, dtype=object))[0])

    def joins(labels: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        story_rows = _one_hot(labels).T.tocsr()
        sums, spoken, stated = (story_rows @ unit).astype(np.float32), story_rows @ by_language, story_rows @ figures
        unread = np.bincount(labels, weights=~read, minlength=len(count)) > 0
        within = np.where(count > 1, mean_cosine_within(sums, count), np.nan)
        a, b = labels[graph.rows], labels[graph.cols]
        keys = np.unique(np.minimum(a, b)[a != b] * len(count) + np.maximum(a, b)[a != b])
        first, second = np.divmod(keys, len(count))
        # Every noise article is a story here: as many pairs as the graph's edges, so a block at a time.
        between = pair_cosines(sums, first, second) / (count[first] * count[second])
        ratio = np.nan_to_num(between / np.fmin(within[first], within[second]), nan=-np.inf)
        moved, into = _mutual_pairs(len(count), first, second, ratio)
        joined = (ratio[np.searchsorted(keys, into * len(count) + moved)] >= share) \
            & ~figures_conflict(stated, moved, into) \
            & (row_dots(spoken, moved, into) == 0) & ~unread[moved] & ~unread[into]
        return moved[joined], into[joined]

    return _join_in_rounds(raw, joins)


# Two stories apart in time join on their pairs' evidence where it reaches this share of the looser one's within (the
# cosines' share being `share`): a saga's next event shares the names a development recalls. Between the developing
# stories' least alike development that joins its event (0.82; data/follow_ups) and the demo's August 8 deadline
# against the EU's sanctions package three weeks before, read among every dev set (0.71): no other labelled corpus
# holds a pair that reaches 0.7 (benchmarks/GROUPING.md, "Developing stories").
FOLLOW_UP_EVIDENCE = 0.8
# Stories beyond this many rows are read on their first ones when pairs' evidence is compared (rows come in an order
# of their own, a hash of each vector and date): the mean over all pairs of two large stories costs their product.
EVIDENCE_ROWS = 64
# Story pairs compared per block in `join_follow_ups` (bounds the memory of the between-stories cosines).
_STORY_BLOCK = 1024


def join_follow_ups(unit: np.ndarray, raw: np.ndarray, days: np.ndarray, window: float, reach: float, share: float,
                    figures, pair_similarity, eligible: np.ndarray, languages: np.ndarray) -> np.ndarray:
    """Join stories that the time window kept apart: no article of one within `window` days of an article of the
    other (their days may interleave: a development between its event's first reports and a later development joined
    to them), the later-starting one starting at most `reach` days after the other ends. Two such stories join where
    each is the other's closest of all stories in reach (those within the window too) by mean cosine between over
    the looser one's mean within (`unit`: unit rows), at least `share`, where the same ratio on their pairs'
    evidence (`pair_similarity(rows, cols)`, step 2's; between them, the pairs of one of the `languages`, whose
    words and names are read) reaches FOLLOW_UP_EVIDENCE, and unless both state figures naming an event (`figures`)
    and share none: a development reported a week after its event (black boxes found, a suspect charged) recalls its
    names and places, which the window kept from being compared (`days`: an undated article's the day it was placed
    at, whose window it was compared within). Only stories of two articles or more all of whose rows are `eligible`
    take part (with a body, in a language the vectors read): a lone article's mean with a story says how like the
    story it is, not that it reports its event, and beyond the window a title alone names a protagonist, whose other
    events (a candidate's next endorsement) are not follow-ups. Noise (-1 in `raw`) stays noise."""
    def joins(labels: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        story_rows = _one_hot(labels).T.tocsr()
        sums, stated = (story_rows @ unit).astype(np.float32), story_rows @ figures
        within = np.where(count > 1, mean_cosine_within(sums, count), np.nan)
        taking_part = (np.bincount(labels, weights=~eligible, minlength=len(count)) == 0) & (count > 1)
        first = np.full(len(count), np.inf)
        last = np.full(len(count), -np.inf)
        np.minimum.at(first, labels, days)
        np.maximum.at(last, labels, days)
        earlier, later, ratio = _stories_in_reach(sums, count, within, first, last, taking_part, reach, share)
        # Closest of all stories in reach, those the window let density compare among them: a story nearer to one of
        # its own days than to any beyond the window is no development of those.
        moved, into = _mutual_pairs(len(count), earlier, later, ratio)
        rows = _story_rows(labels, count)
        apart = np.array([_days_apart(days[rows[a]], days[rows[b]]) for a, b in zip(moved, into)])
        moved, into = moved[apart > window], into[apart > window]
        if not len(moved):
            return moved, into
        alike = [_evidence_ratio(pair_similarity, rows[a][:EVIDENCE_ROWS], rows[b][:EVIDENCE_ROWS], languages)
                 >= FOLLOW_UP_EVIDENCE
                 for a, b in zip(moved, into)]
        joined = ~figures_conflict(stated, moved, into) & np.array(alike, dtype=bool)
        return moved[joined], into[joined]

    return _join_in_rounds(raw, joins)


def _stories_in_reach(sums: np.ndarray, count: np.ndarray, within: np.ndarray, first: np.ndarray, last: np.ndarray,
                      taking_part: np.ndarray, reach: float,
                      share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of stories taking part whose gap (the later-starting one's first day less the other's last; below
    0 where they overlap) is at most `reach`, with their ratio of mean cosine between to the looser one's within,
    where that is at least `share` (a pair below it joins no one, and drops out of no one's best: the best of each
    story whose best is a join is at least `share`). Read a block of stories at a time (by
    their first day), against the stories starting before them that end within their reach: linear in the days, as
    the neighbour lists are."""
    stories = np.flatnonzero(taking_part & np.isfinite(first))
    by_start = stories[np.argsort(first[stories], kind="stable")]
    found = []
    for start in range(0, len(by_start), _STORY_BLOCK):
        block = by_start[start:start + _STORY_BLOCK]
        started = by_start[:start + len(block)]
        position = np.flatnonzero(last[started] >= first[block].min() - reach)
        earlier = started[position]
        gap = first[block][:, None] - last[earlier][None, :]
        between = (sums[block] @ sums[earlier].T) / (count[block][:, None] * count[earlier][None, :])
        looser = np.fmin(within[block][:, None], within[earlier][None, :])
        ratio = np.where(looser > 0, between / np.where(looser > 0, looser, 1.0), -np.inf)
        # Each pair once: a story of the block with those before it in the order read.
        read_before = position[None, :] < np.arange(start, start + len(block))[:, None]
        rows, cols = np.nonzero(read_before & (gap <= reach) & (ratio >= share))
        found.append((earlier[cols], block[rows], ratio[rows, cols]))
    if not found:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return tuple(np.concatenate(parts) for parts in zip(*found))  # type: ignore[return-value]


def _story_rows(labels: np.ndarray, count: np.ndarray) -> list[np.ndarray]:
    """Each story's rows (labels 0..n-1), in row order."""
    starts = np.r_[0, np.cumsum(count)]
    return np.split(np.argsort(labels, kind="stable"), starts[1:-1])


def _days_apart(one: np.ndarray, other: np.ndarray) -> float:
    """The fewest days between an article of one story and one of the other (NaN where either has no day): stories
    whose days interleave (a development between its event's first reports and a later development joined to them)
    were kept apart by the window where no two of their articles are within it."""
    one, other = np.sort(one[np.isfinite(one)]), other[np.isfinite(other)]
    if not len(one) or not len(other):
        return np.nan
    after = np.searchsorted(one, other)
    return float(np.minimum(np.abs(other - one[np.maximum(after - 1, 0)]),
                            np.abs(one[np.minimum(after, len(one) - 1)] - other)).min())


def _evidence_ratio(pair_similarity, one: np.ndarray, other: np.ndarray, languages: np.ndarray) -> float:
    """The mean similarity of the pairs of one language between two stories' rows over the lower of the same means
    within each: the pairs' words and names are read within a language, and across two only the subject. -inf where
    no pair between, or none within either story, shares a language."""
    def mean_of_one_language(rows: np.ndarray, cols: np.ndarray) -> float:
        same = languages[rows] == languages[cols]
        return float(pair_similarity(rows[same], cols[same]).mean()) if same.any() else np.nan

    withins = [mean_of_one_language(rows[x], rows[y]) for rows in (one, other)
               for x, y in [np.triu_indices(len(rows), 1)]]
    between = mean_of_one_language(*(ends.ravel() for ends in np.meshgrid(one, other, indexing="ij")))
    if np.isnan(between) or np.isnan(withins).all():
        return -np.inf
    return between / np.nanmin(withins)
