"""How large a corpus's stories are, read from each article's ranked neighbours, and the smallest story HDBSCAN cuts at:
the size read (`list_ends`, `story_size`) and its reciprocal part (`reciprocal_sizes`), whether stories outgrow the
neighbour lists (`most_end_inside`), a minimum of their own for parts of the tree that read larger stories
(`cut_by_readings`, by each cluster's median reading, `cluster_readings`), and whether a larger minimum brings more
articles into their story than it puts into the noise (`more_in_stories`) without joining two stories it keeps
(`joins_kept_clusters`). `StoryClusterer` with ``min_cluster_size="auto"`` uses them; benchmarks/GROUPING.md, step 4,
has the measurements."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.stats import binomtest

from perspectives.stories.evidence import EventEvidence
from perspectives.stories.neighbours import mean_cosine_within, ranked_lists, unit_rows

# "Most" lists ending inside their story: the share of a corpus's (or a story's) articles whose lists do that, above
# which its stories are taken to outgrow the lists.
OPEN_ENDED_SHARE = 0.5
# For a corpus (or a region grouped apart), "most" must be more than chance could give at the number of lists read: a
# one-sided binomial test at the 5% level. A region of one topic's small stories can read about half its lists
# ending inside; as a bare share, whether it passed turned on slight differences between two builds of one embedding
# model (benchmarks/GROUPING.md, step 4 and "The embedding build").
MOST_Z = 1.645
# The same level (MOST_Z's one-sided), exactly, for whether a larger minimum brings more articles into their story
# than it puts into the noise (`more_in_stories`): there a handful of articles may change, where the normal
# approximation passes three to none (an exact p of 0.125), and that raised the minimum of a beat's triplets
# (benchmarks/GROUPING.md, "One beat").
MOST_LEVEL = 0.05


def list_ends(rows: np.ndarray, similarity: np.ndarray, background: float, min_neighbours: int = 5,
              n: int = 0, asked: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per article (the `n` articles, or as many as `rows` names): the story size its ranked neighbours suggest, and
    whether its list ends inside its story.

    An article's ranked neighbours split into its story and the rest where the two parts' similarities differ
    most (Otsu's split: count-weighted, so one large drop near the top of a loose story does not decide it); the
    article and the first part are its story. A list ends inside the story when its last neighbour is closer to
    its first than to `background` (the similarity of unrelated articles). Articles with fewer than
    `min_neighbours` neighbours (few articles within the window) say nothing: size NaN, not open-ended. A list that
    would end inside its story but is shorter than the `asked` length holds every candidate its article has: its
    story ends with it. There the places it lacks count as unrelated articles (`background`), so that the list
    reads its whole story, not a split inside it (a corpus of a few stories).
    """
    ranked, read = _ranked_lists(rows, similarity, min_neighbours, n)
    size, open_ended = np.full(len(read), np.nan), np.zeros(len(read), dtype=bool)
    if not len(ranked):
        return size, open_ended
    listed = np.sum(~np.isnan(ranked), axis=1)
    last = ranked[np.arange(len(ranked)), listed - 1]
    ends_inside = (last - background) > (ranked[:, 0] - last)
    whole = ends_inside & (listed < asked)
    if whole.any():
        ranked = np.pad(ranked, ((0, 0), (0, max(asked - ranked.shape[1], 0))), constant_values=np.nan)
        lacking = np.isnan(ranked) & (np.arange(ranked.shape[1]) < asked) & whole[:, None]
        ranked = np.where(lacking, background, ranked)
    length = np.sum(~np.isnan(ranked), axis=1, keepdims=True)
    total = np.nansum(ranked, axis=1, keepdims=True)
    before = np.nancumsum(ranked, axis=1)[:, :-1]
    split = np.arange(1, ranked.shape[1])[None, :]
    between = split * (length - split) * (before / split - (total - before) / np.maximum(length - split, 1)) ** 2
    size[read] = np.where(split < length, between, -np.inf).argmax(axis=1) + 2
    open_ended[read] = ends_inside & ~whole
    return size, open_ended


def _ranked_lists(rows: np.ndarray, similarity: np.ndarray, min_neighbours: int,
                  n: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each article's neighbour similarities, highest first, one row per article with at least `min_neighbours`
    (NaN-padded to the longest list), and which articles those rows are (a mask over at least `n` articles)."""
    order, rank = ranked_lists(rows, similarity)
    rows, similarity = rows[order], similarity[order]
    counts = np.bincount(rows, minlength=n)
    read = counts >= min_neighbours
    if not read.any():
        return np.empty((0, 0)), read
    ranked = np.full((len(counts), counts.max()), np.nan)
    ranked[rows, rank] = similarity
    return ranked[read], read


def reciprocal_sizes(rows: np.ndarray, cols: np.ndarray, similarity: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Per article, the reciprocal part of the story its list reads (`sizes`, from `list_ends`): the article and
    those of its first size - 1 candidates (`rows[e]` lists `cols[e]`, ranked by `similarity`) whose own read story
    holds it; NaN where the list read nothing.

    Otsu's split reads where an article's similarities fall, and a triplet among its topic's other stories falls
    there as late as a loose story of five does (both read 5). The reciprocal part tells them apart: a triplet's
    further candidates are other stories' articles, which read their own triplets (NeuS: 3 of 5), while a story's
    members read each other (the demo: 9 of 9). Large loose stories read less than their size this way (stories
    of twenty tweets: 3 of 6), so it says whether the lists' stories are groups, not how large stories are."""
    order, rank = ranked_lists(rows, similarity)
    rows, cols = rows[order], cols[order]
    inside = rank < np.nan_to_num(sizes, nan=0.0)[rows] - 1
    n = len(sizes)
    read = csr_matrix((np.ones(int(inside.sum()), dtype=np.int32), (rows[inside], cols[inside])), shape=(n, n))
    read.data[:] = 1  # a pair listed twice is one candidate
    listed_back = np.asarray(read.multiply(read.T).sum(axis=1)).ravel()
    return np.where(np.isnan(sizes), np.nan, 1.0 + listed_back)


def joins_kept_clusters(before: np.ndarray, after: np.ndarray, minimum: int) -> bool:
    """Whether `after` puts two clusters of `before` of `minimum` rows or more into one cluster (-1: noise)."""
    kept = np.flatnonzero(before >= 0)
    large = kept[np.bincount(before[kept])[before[kept]] >= minimum]
    large = large[after[large] >= 0]
    if not len(large):
        return False
    width = np.int64(before.max() + 1)
    pairs = np.unique(after[large] * width + before[large])
    return bool(len(pairs) > len(np.unique(pairs // width)))


def story_size(rows: np.ndarray, similarity: np.ndarray, background: float,
               min_neighbours: int = 5) -> tuple[float, float]:
    """The median story size the neighbour lists suggest, and the share of lists that end inside their story (see
    `list_ends`); (2, 0) when no article has `min_neighbours` neighbours."""
    return typical_size(*list_ends(rows, similarity, background, min_neighbours))


def typical_size(size: np.ndarray, open_ended: np.ndarray) -> tuple[float, float]:
    """The median of the sizes read (NaN: not read), and the share of the read lists that end inside their story;
    (2, 0) where none was read."""
    read = ~np.isnan(size)
    if not read.any():
        return 2.0, 0.0
    return float(np.median(size[read])), float(open_ended[read].mean())


def most_end_inside(share: float, count: int) -> bool:
    """Whether a share of `count` lists exceeds OPEN_ENDED_SHARE by more than chance (one-sided, at MOST_Z)."""
    spread = np.sqrt(OPEN_ENDED_SHARE * (1 - OPEN_ENDED_SHARE) / max(count, 1))
    return count > 0 and share - OPEN_ENDED_SHARE > MOST_Z * spread


def background_similarity(X: np.ndarray, evidence: EventEvidence | None, pairs: int = 2000) -> float:
    """Median similarity of random pairs: what unrelated articles score. The pairs are drawn by row number with a
    fixed seed; `StoryClusterer.fit` takes the rows in content order, so the same articles draw the same pairs
    in whatever order they come (drawn in the caller's order, reordering a corpus could change whether its stories
    read as outgrowing the lists)."""
    rng = np.random.default_rng(0)
    first, second = rng.integers(0, len(X), (2, pairs))
    cosine = np.einsum("ij,ij->i", unit_rows(X[first]), unit_rows(X[second]))
    return float(np.median(cosine if evidence is None else evidence.similarity(first, second, cosine)))


def cut_by_readings(cut_at, minimum: int, readings: np.ndarray | None, read: int, size_share: float,
                    own_cut_at=None) -> np.ndarray:
    """The clusters of `cut_at(minimum)` (HDBSCAN's cut at that minimum), but where a part of the tree reads larger
    stories than the corpus: there the cluster of the cut at its own minimum. One reading for a whole corpus serves
    one kind of story: beside a thousand undated triplets, the triplets' minimum of 2 cut the demo's dated stories of
    ten into pieces (benchmarks/GROUPING.md, "Every dev set in one corpus").

    A story's own minimum is `minimum` raised by as much as `size_share` of its rows' median reading (`readings`,
    NaN where a row says nothing) exceeds the minimum the corpus's lists `read`. From the largest minimum down, each
    cut's clusters take the rows still free: the noise, and the clusters of the cut at `minimum` that read larger
    stories than the corpus (a story that reads the corpus's size keeps its own cluster, where a larger minimum
    would fold it into a neighbouring story as fringe); a cluster is kept where it holds at least that minimum's
    rows and their own minimum reaches it. The cut at `minimum` gives the rest. The larger minimums' cuts are
    `own_cut_at`'s where given (the clusterer's: of the tree of the pairs dated lists may hold), else `cut_at`'s."""
    if readings is None or np.isnan(readings).all():
        return cut_at(minimum)

    def own_minimum(reading):  # NaN without a reading
        return minimum + np.maximum(np.floor(reading * size_share) - read, 0)

    smallest = cut_at(minimum)
    clustered = np.flatnonzero(smallest >= 0)
    free = np.ones(len(readings), dtype=bool)
    free[clustered] = own_minimum(cluster_readings(smallest, readings)[clustered]) > minimum
    labels = np.full(len(readings), -1)
    for size in range(int(own_minimum(np.nanmax(readings))), minimum, -1):
        cut = (own_cut_at or cut_at)(size)
        rows = np.flatnonzero((cut >= 0) & free)
        by_cluster = pd.Series(readings[rows]).groupby(cut[rows])
        kept = (own_minimum(by_cluster.median()) >= size) & (by_cluster.size() >= size)
        rows = rows[kept.reindex(cut[rows]).to_numpy()]
        labels[rows] = cut[rows] + labels.max() + 1
        free[rows] = False
    rest = clustered[labels[clustered] < 0]
    labels[rest] = smallest[rest] + labels.max() + 1
    return labels


def cluster_readings(labels: np.ndarray, readings: np.ndarray) -> np.ndarray:
    """Each row's cluster's median reading (`readings`' NaN left out); NaN for noise (-1) and where none reads."""
    clustered = labels >= 0
    median = pd.Series(readings[clustered]).groupby(labels[clustered]).median()
    out = np.full(len(labels), np.nan)
    out[clustered] = median.reindex(labels[clustered]).to_numpy()
    return out


def more_in_stories(before: np.ndarray, after: np.ndarray, open_ended: np.ndarray,
                    blob_before: np.ndarray | None = None, blob_after: np.ndarray | None = None) -> bool:
    """Whether more articles come into their story from `before` to `after` than join the noise, by more than chance
    gives (a one-sided exact McNemar test at MOST_LEVEL: each article that changes is a coin toss where nothing
    changed). An article comes into its story where it leaves the noise, or where its list ends inside its story
    (`open_ended`) and its cluster is absorbed into a larger one (`_absorbed`): it was in a piece of that story.
    `blob_before` and `blob_after` mark the rows of clusters that are no story (`blob_rows`; none if not given): an
    article that comes into one is lost, as if into the noise."""
    in_blob_before = np.zeros(len(before), dtype=bool) if blob_before is None else blob_before
    in_blob = np.zeros(len(after), dtype=bool) if blob_after is None else blob_after
    came_in = (((before < 0) & (after >= 0)) | (open_ended & _absorbed(before, after))) & ~in_blob
    lost = ((before >= 0) & (after < 0)) | (in_blob & ~in_blob_before)
    came, went = int(np.sum(came_in)), int(np.sum(lost))
    return bool(came > went and binomtest(came, came + went, 0.5, alternative="greater").pvalue < MOST_LEVEL)


def blob_rows(labels: np.ndarray, unit: np.ndarray, reach: int, background: float,
              candidate_cosine: float) -> np.ndarray:
    """The rows of blobs: clusters larger than the lists reach (`reach` articles) whose mean pairwise cosine (`unit`
    rows) is closer to what unrelated articles score (`background`) than to what the lists' candidates do
    (`candidate_cosine`). Once the minimum passes the size of a corpus's stories, excess of mass keeps a blob of many
    of them (benchmarks/GROUPING.md, "Some bodies missing")."""
    counts = np.bincount(labels[labels >= 0], minlength=1)
    in_large = np.flatnonzero(counts[np.maximum(labels, 0)] * (labels >= 0) > reach)
    blob = np.zeros(len(labels), dtype=bool)
    if len(in_large):
        large, member = np.unique(labels[in_large], return_inverse=True)
        sums = csr_matrix((np.ones(len(in_large)), (member, in_large)), shape=(len(large), len(unit))) @ unit
        loose = mean_cosine_within(np.asarray(sums, dtype=np.float64), counts[large]) < \
            (background + candidate_cosine) / 2
        blob[in_large] = loose[member]
    return blob


def _absorbed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The rows clustered in both whose cluster in `before` makes up less than half of their cluster in `after`."""
    both = np.flatnonzero((before >= 0) & (after >= 0))
    _, piece, shared = np.unique(before[both] * (after.max() + 1) + after[both], return_inverse=True,
                                 return_counts=True)
    absorbed = np.zeros(len(before), dtype=bool)
    absorbed[both] = 2 * shared[piece] < np.bincount(after[after >= 0])[after[both]]
    return absorbed
