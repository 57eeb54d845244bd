"""Stage 4: group articles about the same event into stories (HDBSCAN over a time-windowed neighbour graph).

HDBSCAN's hierarchy is built from the minimum spanning tree of mutual-reachability distances. Building that tree
from each article's nearest neighbours within the time window, instead of from all pairs, gives the same stories
(the tree's edges are short, and short edges lie among the neighbours) at a cost linear in the number of days.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from sklearn.base import BaseEstimator, ClusterMixin, clone

from perspectives.stories.evidence import EventEvidence, centre_by_language, row_dots
from perspectives.stories.hdbscan_tree import hdbscan_labels
from perspectives.stories.neighbours import (
    NeighbourGraph,
    day_numbers,
    inferred_days,
    neighbour_graph,
    unit_rows,
)
from perspectives.text import embedded_language

# min_cluster_size "auto" is this share of the typical story size: EOM then keeps stories of that size whole
# instead of picking dense pieces inside them. Chosen leaving one labelled set out at a time (benchmarks/grouping.py).
SIZE_SHARE = 0.5
# "Most" lists ending inside their story: the share of a corpus's (or a story's) articles whose lists do that, above
# which its stories are taken to outgrow the lists.
OPEN_ENDED_SHARE = 0.5
# For a corpus (or a region grouped apart), "most" must be more than chance could give at the number of lists read: a
# one-sided binomial test at the 5% level. A region of one topic's small stories can read about half its lists
# ending inside; as a bare share, whether it passed turned on slight differences between two builds of one embedding
# model (benchmarks/GROUPING.md, step 4 and "The embedding build"). The same level tests whether a larger
# minimum brings more articles into their story than it puts into the noise (`_more_in_stories`).
MOST_Z = 1.645
# The longest neighbour lists "auto" looks at when stories outgrow the lists (cost grows with the list length).
MAX_NEIGHBOURS = 240
# Where stories outgrow the neighbour lists, HDBSCAN still cuts a large loose story into dense pieces: two stories
# merge when the mean similarity between their articles reaches this share of the mean within the looser one.
# Chosen on two halves of the event tweets' stories (benchmarks/grouping.py), the only labelled set whose stories
# outgrow the lists: each half now chooses 0.6, by under 0.01, but the whole set scores 0.812 at 0.6 against 0.856
# (benchmarks/GROUPING.md, "Constants, and the table of every set and shape").
MERGE_SHARE = 0.7
# Regrouping with a previous grouping at hand, two articles it put in one story count this much more similar, so a
# story is revised only on evidence stronger than that (evolutionary clustering's temporal smoothness). Chosen on the
# stable-id check of benchmarks/grouping.py (ids kept and F1 when a set's second half arrives, one set left out):
# 0.2 for every set but NeuS, for which 0; NeuS alone moves with it (ids 0.81 -> 0.97, F1 0.81 -> 0.77 from 0 to 0.2).
HISTORY_WEIGHT = 0.1
# A member fitting its story less than this share of the story's median fit is taken out (`fit_share`). Chosen
# leaving one labelled set out (benchmarks/GROUPING.md, step 6).
FIT_SHARE = 0.4
# The smallest story a member is taken out of: in a story of three, two of the three fits whose median is the
# reference hold the member's own cosines, and BASIL dev's titles lost right articles from their triplets.
MIN_FIT_STORY = 4
# Keeps identical texts (distance 0) as edges: sparse graphs treat an explicit 0 as "no edge".
_TINY = 1e-12


class StoryClusterer(ClusterMixin, BaseEstimator):
    """Density-based grouping of article vectors into stories.

    Each article is compared with its `n_neighbors` most similar articles published within `time_window_days`.
    Given the articles themselves, and with `use_text`, vectors are centred per language and each pair's
    similarity also weighs the words, headline words, names and numbers the two share (see `evidence`); given
    vectors alone, it is their cosine. HDBSCAN then cuts the hierarchy built from this sparse graph. Articles it
    calls noise become single-article stories, so every article ends in exactly one story. The rows are grouped in
    an order of their own (by a hash of each vector and date), so the same articles in any order give the same
    stories.

    Parameters
    ----------
    min_cluster_size : int or "auto"
        HDBSCAN's smallest story. "auto" takes `size_share` of the typical story size the neighbour lists suggest
        (see `story_size`): a corpus of pairs and triplets keeps 2, one of stories of ten or a hundred stops cutting
        them into dense pieces. Where the lists do not grow, it then rises one at a time while each step brings more
        articles into their story (out of the noise, or out of a piece of it) than it puts into the noise (the small
        clusters were pieces of larger stories), and noise whose list ends inside its story joins the cluster
        holding more than half of its list; where stories outgrow the lists (more than half of them end inside
        their story, by more than chance gives; read from the text evidence, given the articles), the lists grow,
        noise joins its nearest neighbour's story and the minimum stays the one read on the lists as asked. Where
        the lists do not grow, a part of the tree whose dated articles read larger stories than the corpus is cut at
        its own minimum (a story of ten among triplets stays whole; see `_cut_by_readings`).
    size_share : float
        With "auto": the share of the typical story size that HDBSCAN's smallest story starts from.
    mixed_sizes : bool
        With "auto": where the corpus reads small stories, the stories (and noise) whose articles' lists mostly run
        on past them are grouped again on their own, with their own reading; that grouping is kept where it reads
        stories that outgrow the lists and makes fewer stories of them (a few large stories among many small ones,
        which one reading would cut into pieces).
    merge_share : float or None
        Where stories outgrew the lists, stories whose mean similarity between articles reaches this share of the
        looser one's mean within merge (average linkage over the stories); None merges nothing.
    history_weight : float
        Given the previous grouping (`fit`'s `previous_stories`), what two articles it put in one story add to their
        pair similarity: stories already shown stay as they were unless the new articles argue otherwise.
    fit_share : float or None
        Given the articles (with `use_text`), a member of a story of four or more, in its story's most common
        language, whose fit (`member_fit`: its mean cosine with the other members, on vectors centred per language)
        is below this share of its story's median fit is taken out as a single-article story: an intruder that
        density alone attached. None takes out none.
    min_samples : int
        HDBSCAN's core distance is to the `min_samples`-th nearest neighbour; at most `n_neighbors`.
    time_window_days : float or None
        Articles published further apart are never compared; an undated article is compared with the dated ones
        within the window of the day of the dated article most like it, and with every undated one. None ignores
        dates.
    n_neighbors : int
        Candidates per article.
    use_text : bool
        Weigh the articles' words when `fit` is given them; False groups on vectors alone.
    cluster_selection_method : {"eom", "leaf"}
        As in HDBSCAN: "eom" (excess of mass) keeps whole stories, "leaf" the finest.
    cluster_selection_epsilon : float
        As in HDBSCAN.
    allow_single_cluster : bool
        As in HDBSCAN.
    evidence : EventEvidence, optional
        The pair features weighed with the text and their weights (a clone is fitted on each corpus); default
        ``EventEvidence()``, equal weights; ``EventEvidence(pair_model="learned")`` weighs them as the packaged
        pair model learned from the labelled sets.

    Attributes
    ----------
    labels_ : ndarray of shape (n_articles,)
        Each row's story, numbered by the story's first row, whatever HDBSCAN's internal numbering.
    n_stories_ : int
        The number of stories.
    noise_mask_ : ndarray of bool, shape (n_articles,)
        The rows left as noise, each a story of its own.
    graph_ : NeighbourGraph
        The candidate pairs and their cosines; other steps (wire-copy detection) compare the same pairs.
    n_neighbors_ : int
        The candidates per article used: `n_neighbors`, or more where stories outgrew the lists.
    placed_by_ : ndarray of int, shape (n_articles,)
        For each undated row, the dated row most like it, whose publication time it was given; -1 for the dated
        rows, and for all where no row is dated or `time_window_days` is None.
    min_cluster_size_ : int
        The smallest story used (HDBSCAN's minimum).
    story_size_ : float or None
        The typical story size read from the neighbour lists, the grown ones where they grew (with "auto" only).
    open_ended_ : ndarray of bool, shape (n_articles,)
        With "auto": the rows whose neighbour list ends inside their story by the text evidence (see `list_ends`).
    list_sizes_ : ndarray of float, shape (n_articles,)
        With "auto": the story size each row's neighbour list reads (NaN with too few neighbours; see `list_ends`).
        Two noise rows that read 2 and are each other's best candidate are one story.
    large_stories_ : StoryClusterer or None
        With `mixed_sizes`: the grouping of the rows it grouped again on their own (`large_story_rows_`), where it
        was kept; None otherwise.
    large_story_rows_ : ndarray of int
        The rows `large_stories_` grouped (empty where none).

    See Also
    --------
    perspectives.pipeline.group_stories : Embeds articles, groups them with this and describes the stories.

    Examples
    --------
    Two events, three articles each (vectors alone here; `fit` takes the articles too):

    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.9, 0.1], [0.95, 0.05], [0.0, 1.0], [0.1, 0.9], [0.05, 0.95]])
    >>> clusterer = StoryClusterer().fit(X)
    >>> clusterer.labels_, clusterer.n_stories_
    (array([0, 0, 0, 1, 1, 1]), 2)

    The third article is published two weeks later: outside the time window, it is a story of its own.

    >>> days = ["2025-08-04", "2025-08-04", "2025-08-20", "2025-08-04", "2025-08-05", "2025-08-05"]
    >>> StoryClusterer(time_window_days=3).fit_predict(X, published_at=days)
    array([0, 0, 1, 2, 2, 2])
    """

    graph_: NeighbourGraph
    n_neighbors_: int
    placed_by_: np.ndarray
    open_ended_: np.ndarray
    list_sizes_: np.ndarray
    # Set on the clusterer of a region grouped apart (see `_regroup_large_stories`).
    _only_large_stories = False

    def __init__(self, min_cluster_size: int | str = "auto", size_share: float = SIZE_SHARE, mixed_sizes: bool = True,
                 merge_share: float | None = MERGE_SHARE, history_weight: float = HISTORY_WEIGHT,
                 fit_share: float | None = FIT_SHARE, min_samples: int = 1, time_window_days: float | None = 3.0,
                 n_neighbors: int = 15, use_text: bool = True, cluster_selection_method: str = "eom",
                 cluster_selection_epsilon: float = 0.0, allow_single_cluster: bool = False,
                 evidence: EventEvidence | None = None):
        self.min_cluster_size = min_cluster_size
        self.size_share = size_share
        self.mixed_sizes = mixed_sizes
        self.merge_share = merge_share
        self.history_weight = history_weight
        self.fit_share = fit_share
        self.min_samples = min_samples
        self.time_window_days = time_window_days
        self.n_neighbors = n_neighbors
        self.use_text = use_text
        self.cluster_selection_method = cluster_selection_method
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.allow_single_cluster = allow_single_cluster
        self.evidence = evidence

    def fit(self, X, y=None, published_at=None, articles: pd.DataFrame | None = None, mapper=None,
            previous_stories=None):
        """Group the rows of `X` into stories.

        Parameters
        ----------
        X : array-like of shape (n_articles, n_dimensions)
            The articles' vectors.
        y : None
            Ignored.
        published_at : sequence of str or datetime, optional
            Each article's publication time; default the `articles`' own.
        articles : DataFrame, optional
            The articles, one per row of `X` (``ingest`` columns), whose words are weighed with `use_text`.
        mapper : Mapper, optional
            Runs the neighbour search on workers (see `perspectives.distributed`).
        previous_stories : sequence, optional
            Each row's story in the previous grouping; None (or NaN) for rows it did not have.

        Returns
        -------
        StoryClusterer
            This clusterer, fitted.

        Raises
        ------
        ValueError
            `n_neighbors` is smaller than `min_samples`.
        """
        X = np.asarray(X, dtype=np.float32)
        n = len(X)
        if self.n_neighbors < self.min_samples:
            raise ValueError(f"n_neighbors ({self.n_neighbors}) must be at least min_samples ({self.min_samples})")
        if articles is not None and published_at is None:
            published_at = articles["published_at"]
        days = day_numbers(published_at, n)
        for read_on_lists in ("open_ended_", "list_sizes_"):  # read again only with "auto", never left from a fit
            self.__dict__.pop(read_on_lists, None)
        # The rows are grouped in an order of their own (by content): the same articles in any order then meet the
        # same random pairs, float sums and tie-breaks, and give the same stories.
        order = _content_order(X, days)
        self._fit_in_content_order(
            X[order], days[order], None if articles is None else articles.iloc[order].reset_index(drop=True), mapper,
            _story_codes(previous_stories, n)[order])
        self._put_in_input_order(order)
        return self

    def _fit_in_content_order(self, X: np.ndarray, days: np.ndarray, articles: pd.DataFrame | None, mapper,
                              history: np.ndarray) -> None:
        vectors, n = X, len(X)
        evidence, languages = None, None
        if articles is not None and self.use_text and n:
            languages = embedded_language(articles)
            X = centre_by_language(X, languages)
            evidence = clone(self.evidence if self.evidence is not None else EventEvidence()).fit(articles, X)
        # Only the size reading compares with what unrelated articles score.
        background = _background(X, evidence) if n and self.min_cluster_size == "auto" else 0.0
        undated = np.isnan(days)
        self.placed_by_ = np.full(n, -1)
        if self.time_window_days is not None:
            days, self.placed_by_ = inferred_days(unit_rows(X), days, mapper)
        similarity = self._pair_graph(X, days, undated, _never_dated(articles, undated), evidence, history, background,
                                      mapper)
        # Only the text evidence says where a list ends: embedding cosines decline smoothly through a whole topic, so on
        # vectors alone no article counts as open-listed in the steps below.
        ends_inside = self.open_ended_ if evidence is not None and self.min_cluster_size == "auto" else \
            np.zeros(n, dtype=bool)
        readings = self._dated_readings(undated) if evidence is not None else None
        raw = self._density_labels(similarity, ends_inside, readings) if n >= max(2, self.min_cluster_size_) else \
            np.full(n, -1)
        if self.n_neighbors_ > self.n_neighbors:
            raw = _join_nearest_story(self.graph_, similarity, raw)
            if self.merge_share is not None:
                raw = merge_close_stories(self.graph_, unit_rows(X), raw, self.merge_share,
                                          history, self.history_weight)
        elif ends_inside.any():
            # Before the region below: a joined fringe then stays with its story outside the region, where on its
            # own each such article would be a region candidate (its list ends inside its story).
            raw = _join_own_story(self.graph_, raw, ends_inside)
        if evidence is not None and self.min_cluster_size == "auto" and self.n_neighbors_ == self.n_neighbors:
            raw = _pair_noise(self.graph_, similarity, raw, self.list_sizes_)
        self.large_stories_, self.large_story_rows_ = None, np.empty(0, dtype=np.int64)
        if self.mixed_sizes and evidence is not None and self.min_cluster_size == "auto" and \
                self.n_neighbors_ == self.n_neighbors:
            raw = self._regroup_large_stories(raw, vectors, days, articles, mapper, history)
        # Once, on the corpus's stories (a region grouped apart is part of them).
        if languages is not None and self.fit_share is not None and not self._only_large_stories:
            raw = _take_out_misfits(X, raw, self.fit_share, languages)
        self.labels_ = _renumber_with_singletons(raw)
        self.n_stories_ = int(self.labels_.max() + 1) if n else 0
        self.noise_mask_ = raw < 0

    def _put_in_input_order(self, order: np.ndarray) -> None:
        """Index the fitted rows as the caller gave them (`order`: the content order's input rows)."""
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        self.labels_ = pd.factorize(self.labels_[back])[0].astype(np.int64)  # numbered by first row again
        self.noise_mask_ = self.noise_mask_[back]
        placed_by = self.placed_by_[back]
        self.placed_by_ = np.where(placed_by >= 0, order[placed_by], -1)
        for read_on_lists in ("open_ended_", "list_sizes_"):
            if hasattr(self, read_on_lists):
                setattr(self, read_on_lists, getattr(self, read_on_lists)[back])
        graph = self.graph_
        self.graph_ = NeighbourGraph(graph.n, order[graph.rows], order[graph.cols], graph.similarity)
        self.large_story_rows_ = order[self.large_story_rows_]

    def _pair_graph(self, X: np.ndarray, days: np.ndarray, undated: np.ndarray, never_dated: np.ndarray | None,
                    evidence: EventEvidence | None, history: np.ndarray, background: float, mapper) -> np.ndarray:
        """Build `graph_` and return its pair similarities (`days`: each row's place, `undated`: the rows without a
        date, `never_dated`: those of outlets that date none of their articles, which no dated row lists). With
        min_cluster_size "auto", also set `story_size_` (the typical story size the neighbour lists suggest,
        `background` being what unrelated articles score) and `min_cluster_size_` (`size_share` of the size read on
        the lists as asked); while most lists end inside their article's story (stories longer than the lists) by
        the text evidence, the lists grow fourfold."""
        k = self.n_neighbors
        self.story_size_ = None
        self.min_cluster_size_: int = 2 if self.min_cluster_size == "auto" else int(self.min_cluster_size)
        while True:
            self.graph_ = neighbour_graph(X, days, self.time_window_days, k, mapper=mapper, undated=undated,
                                          unlisted=never_dated)
            self.n_neighbors_ = k
            similarity = self.graph_.similarity
            if evidence is not None:
                similarity = evidence.similarity(self.graph_.rows, self.graph_.cols, similarity)
            before = history[self.graph_.rows]
            # The story size is read from this corpus's evidence alone: the previous grouping only holds it.
            held = similarity + self.history_weight * ((before >= 0) & (before == history[self.graph_.cols]))
            if self.min_cluster_size != "auto" or not len(X):
                return held
            sizes, self.open_ended_ = list_ends(self.graph_.rows, similarity, background, n=len(X))
            self.list_sizes_ = sizes
            self.story_size_, open_ended = _typical(sizes, self.open_ended_)
            # The minimum is read on the lists as asked. On grown lists an article's split reaches as far as its
            # loose story does, and half of that as a minimum loses the smaller stories among large ones (they become
            # noise and join a large one); the pieces a small minimum leaves of a large story are joined as wholes
            # (merge_share). A region grouped apart holds only articles of stories that outgrow the lists: there
            # the grown reading sets it (benchmarks/GROUPING.md, step 4).
            if k == self.n_neighbors or self._only_large_stories:
                self.min_cluster_size_ = max(2, int(self.story_size_ * self.size_share))
            # Only the text evidence says a list ends inside its story: embedding cosines alone decline smoothly
            # through a whole topic (vectors alone, the lists of NeuS's triplets "ended inside" and it fell to 0.105).
            if not _most(open_ended, int(np.sum(~np.isnan(sizes)))) or evidence is None or \
                    k >= min(MAX_NEIGHBOURS, len(X) - 1):
                return held
            k = min(4 * k, MAX_NEIGHBOURS)

    def _regroup_large_stories(self, raw: np.ndarray, vectors: np.ndarray, days: np.ndarray, articles: pd.DataFrame,
                               mapper, history: np.ndarray) -> np.ndarray:
        """Group again on their own the stories and noise whose articles' lists mostly ran on past them; keep that
        grouping where it reads stories that outgrow the lists and makes fewer stories of the region. Among many
        small stories, the lists of a large one's articles end inside it, but the corpus's small size cuts it into
        pieces and noise. The region is grouped as a corpus of its own (vectors centred on its own mean): kept centred
        on the corpus's, a region of one topic's small stories read as large (benchmarks/GROUPING.md, "Mixed story
        sizes")."""
        stories = _renumber_with_singletons(raw)
        open_share = np.bincount(stories, weights=self.open_ended_) / np.bincount(stories)
        rows = np.flatnonzero(open_share[stories] > OPEN_ENDED_SHARE)
        # Lists of n_neighbors cannot outgrow a region that holds no more articles.
        if len(rows) <= self.n_neighbors + 1:
            return raw
        # The region's rows are in content order already (a subset of the corpus's), so it is grouped as they are.
        again = clone(self).set_params(mixed_sizes=False)
        again._only_large_stories = True
        again._fit_in_content_order(vectors[rows], days[rows], articles.iloc[rows].reset_index(drop=True), mapper,
                                    history[rows])
        # Kept where it read stories outgrowing the lists and joined pieces: in a region hardly larger than its
        # lists, the size read can exceed every story in it and leave it all noise.
        if again.n_neighbors_ == again.n_neighbors or again.n_stories_ >= len(np.unique(stories[rows])):
            return raw
        self.large_stories_, self.large_story_rows_ = again, rows
        grouped = raw.copy()
        grouped[rows] = np.where(again.noise_mask_, -1, again.labels_ + raw.max() + 1)
        return grouped

    def _dated_readings(self, undated: np.ndarray) -> np.ndarray | None:
        """The story size each dated row's list reads (NaN for the undated rows and those too short to read), with
        "auto" on lists as asked; None otherwise. A dated row's list stays within the time window and reads its
        story; an undated row's may span any time and reads its topic (NeuS's crowded topics read stories of 6-12
        where its stories are triplets). Read from the text evidence only, as where a list ends: on cosines alone a
        list declines smoothly through a topic."""
        if self.min_cluster_size != "auto" or self.n_neighbors_ != self.n_neighbors or undated.all():
            return None
        return np.where(undated, np.nan, self.list_sizes_)

    def _density_labels(self, similarity: np.ndarray, ends_inside: np.ndarray,
                        readings: np.ndarray | None) -> np.ndarray:
        graph = self.graph_
        distance = np.clip(1.0 - similarity.astype(np.float64), _TINY, 2.0)
        reach = np.maximum(distance, np.maximum(*(_core_distances(graph, distance, self.min_samples)[ends]
                                                  for ends in (graph.rows, graph.cols))))
        tree, part_of = _spanning_tree(graph.n, graph.rows, graph.cols, reach)
        cuts: dict[int, np.ndarray] = {}

        def cut_at(minimum: int) -> np.ndarray:  # each minimum's cut once: the steps below revisit them
            if minimum not in cuts:
                cuts[minimum] = self._cut(tree, part_of, minimum)
            return cuts[minimum]

        read = self.min_cluster_size_  # as the lists read it; `_raise_minimum` raises it

        def cut(minimum: int) -> np.ndarray:
            return _cut_by_readings(cut_at, minimum, readings, read, self.size_share)

        labels = cut(self.min_cluster_size_)
        if self.min_cluster_size == "auto" and self.n_neighbors_ == self.n_neighbors:
            labels = self._raise_minimum(cut, labels, ends_inside)
        return labels

    def _cut(self, tree: np.ndarray, part_of: np.ndarray, minimum: int) -> np.ndarray:
        """HDBSCAN's clusters with `minimum` as its smallest (-1 for noise)."""
        labels = self._hdbscan(tree, minimum)
        # A part kept whole is grouped again on its own, its root not a story (as HDBSCAN treats its root), unless
        # that finds no two stories in it (a part that is one event, such as three reports of it a year apart from
        # the rest).
        for members, subtree in _parts_kept_whole(tree, part_of, labels, 2 * minimum):
            again = self._hdbscan(subtree, minimum)
            if len(np.unique(again[again >= 0])) >= 2:
                labels[members] = np.where(again >= 0, again + labels.max() + 1, -1)
        return labels

    def _raise_minimum(self, cut, labels: np.ndarray, ends_inside: np.ndarray) -> np.ndarray:
        """Raise `min_cluster_size_` one at a time while each step brings more articles into their story than it
        puts into the noise (`_more_in_stories`; `ends_inside`: the rows whose list ends inside their story), and
        return the cut at the last minimum kept. The stories a step up loses become noise; where its small clusters
        were instead pieces of one larger story, the larger clusters it keeps take in their pieces and fringe (short
        texts: loose stories that the size read cuts small). It stops at the list length and its article: a story
        the lists did not outgrow holds no more (and the steps, each a cut of the whole tree, stay few)."""
        while self.min_cluster_size_ < min(len(labels), self.n_neighbors_ + 1):
            raised = cut(self.min_cluster_size_ + 1)
            if not _more_in_stories(labels, raised, ends_inside):
                break
            labels = raised
            self.min_cluster_size_ += 1
        return labels

    def _hdbscan(self, tree: np.ndarray, minimum: int) -> np.ndarray:
        return hdbscan_labels(tree, minimum, self.cluster_selection_method,
                              self.allow_single_cluster, self.cluster_selection_epsilon)

    def fit_predict(self, X, y=None, published_at=None, articles=None, mapper=None, previous_stories=None):
        """Group the rows of `X` into stories and return their labels.

        Parameters
        ----------
        X, y, published_at, articles, mapper, previous_stories
            See `fit`.

        Returns
        -------
        ndarray of shape (n_articles,)
            `labels_`.
        """
        return self.fit(X, published_at=published_at, articles=articles, mapper=mapper,
                        previous_stories=previous_stories).labels_


def _never_dated(articles: pd.DataFrame | None, undated: np.ndarray) -> np.ndarray | None:
    """The undated rows of outlets that date none of their articles here (None without outlets). A feed that never
    gives a date may be of any time, and its articles crowded the dated articles' lists (benchmarks/GROUPING.md,
    step 1); an undated article of an outlet that dates others has lost its date, and is listed as usual."""
    if articles is None or "outlet" not in articles or not undated.any():
        return None
    return undated & ~articles["outlet"].isin(set(articles["outlet"][~undated])).to_numpy()


def _story_codes(previous_stories, n: int) -> np.ndarray:
    """Previous stories as integer codes, -1 for rows without one (or for every row when none is given)."""
    if previous_stories is None:
        return np.full(n, -1)
    return pd.factorize(pd.Series(previous_stories).reset_index(drop=True))[0]


def story_size(rows: np.ndarray, similarity: np.ndarray, background: float,
               min_neighbours: int = 5) -> tuple[float, float]:
    """The median story size the neighbour lists suggest, and the share of lists that end inside their story (see
    `list_ends`); (2, 0) when no article has `min_neighbours` neighbours."""
    return _typical(*list_ends(rows, similarity, background, min_neighbours))


def _most(share: float, count: int) -> bool:
    """Whether a share of `count` lists exceeds OPEN_ENDED_SHARE by more than chance (one-sided, at MOST_Z)."""
    spread = np.sqrt(OPEN_ENDED_SHARE * (1 - OPEN_ENDED_SHARE) / max(count, 1))
    return count > 0 and share - OPEN_ENDED_SHARE > MOST_Z * spread


def _cut_by_readings(cut_at, minimum: int, readings: np.ndarray | None, read: int, size_share: float) -> np.ndarray:
    """The clusters of `cut_at(minimum)` (HDBSCAN's cut at that minimum), but where a part of the tree reads larger
    stories than the corpus: there the cluster of the cut at its own minimum. One reading for a whole corpus serves
    one kind of story: beside a thousand undated triplets, the triplets' minimum of 2 cut the demo's dated stories of
    ten into pieces (benchmarks/GROUPING.md, "Every dev set in one corpus").

    A story's own minimum is `minimum` raised by as much as `size_share` of its rows' median reading (`readings`,
    NaN where a row says nothing) exceeds the minimum the corpus's lists `read`. From the largest minimum down, each
    cut's clusters take the rows still free: the noise, and the clusters of the cut at `minimum` that read larger
    stories than the corpus (a story that reads the corpus's size keeps its own cluster, where a larger minimum
    would fold it into a neighbouring story as fringe); a cluster is kept where it holds at least that minimum's
    rows and their own minimum reaches it. The cut at `minimum` gives the rest."""
    if readings is None or np.isnan(readings).all():
        return cut_at(minimum)

    def own_minimum(reading):  # NaN without a reading
        return minimum + np.maximum(np.floor(reading * size_share) - read, 0)

    smallest = cut_at(minimum)
    clustered = np.flatnonzero(smallest >= 0)
    piece_minimum = own_minimum(pd.Series(readings[clustered]).groupby(smallest[clustered]).median())
    free = np.ones(len(readings), dtype=bool)
    free[clustered] = (piece_minimum > minimum).reindex(smallest[clustered]).to_numpy()
    labels = np.full(len(readings), -1)
    for size in range(int(own_minimum(np.nanmax(readings))), minimum, -1):
        cut = cut_at(size)
        rows = np.flatnonzero((cut >= 0) & free)
        by_cluster = pd.Series(readings[rows]).groupby(cut[rows])
        kept = (own_minimum(by_cluster.median()) >= size) & (by_cluster.size() >= size)
        rows = rows[kept.reindex(cut[rows]).to_numpy()]
        labels[rows] = cut[rows] + labels.max() + 1
        free[rows] = False
    rest = clustered[labels[clustered] < 0]
    labels[rest] = smallest[rest] + labels.max() + 1
    return labels


def _more_in_stories(before: np.ndarray, after: np.ndarray, open_ended: np.ndarray) -> bool:
    """Whether more articles come into their story from `before` to `after` than join the noise, by more than chance
    gives (a one-sided McNemar test at MOST_Z: each article that changes is a coin toss where nothing changed). An
    article comes into its story where it leaves the noise, or where its list ends inside its story (`open_ended`)
    and its cluster is absorbed into a larger one (`_absorbed`): it was in a piece of that story."""
    came_in = ((before < 0) & (after >= 0)) | (open_ended & _absorbed(before, after))
    came, joined = int(np.sum(came_in)), int(np.sum((before >= 0) & (after < 0)))
    return bool(came - joined > MOST_Z * np.sqrt(came + joined))


def _absorbed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The rows clustered in both whose cluster in `before` makes up less than half of their cluster in `after`."""
    both = np.flatnonzero((before >= 0) & (after >= 0))
    _, piece, shared = np.unique(before[both] * (after.max() + 1) + after[both], return_inverse=True,
                                 return_counts=True)
    absorbed = np.zeros(len(before), dtype=bool)
    absorbed[both] = 2 * shared[piece] < np.bincount(after[after >= 0])[after[both]]
    return absorbed


def _typical(size: np.ndarray, open_ended: np.ndarray) -> tuple[float, float]:
    read = ~np.isnan(size)
    if not read.any():
        return 2.0, 0.0
    return float(np.median(size[read])), float(open_ended[read].mean())


def list_ends(rows: np.ndarray, similarity: np.ndarray, background: float, min_neighbours: int = 5,
              n: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per article (the `n` articles, or as many as `rows` names): the story size its ranked neighbours suggest, and
    whether its list ends inside its story.

    An article's ranked neighbours split into its story and the rest where the two parts' similarities differ
    most (Otsu's split: count-weighted, so one large drop near the top of a loose story does not decide it); the
    article and the first part are its story. A list ends inside the story when its last neighbour is closer to
    its first than to `background` (the similarity of unrelated articles). Articles with fewer than
    `min_neighbours` neighbours (few articles within the window) say nothing: size NaN, not open-ended.
    """
    ranked, read = _ranked_lists(rows, similarity, min_neighbours, n)
    size, open_ended = np.full(len(read), np.nan), np.zeros(len(read), dtype=bool)
    if not len(ranked):
        return size, open_ended
    length = np.sum(~np.isnan(ranked), axis=1, keepdims=True)
    total = np.nansum(ranked, axis=1, keepdims=True)
    before = np.nancumsum(ranked, axis=1)[:, :-1]
    split = np.arange(1, ranked.shape[1])[None, :]
    between = split * (length - split) * (before / split - (total - before) / np.maximum(length - split, 1)) ** 2
    size[read] = np.where(split < length, between, -np.inf).argmax(axis=1) + 2
    last = ranked[np.arange(len(ranked)), length[:, 0] - 1]
    open_ended[read] = (last - background) > (ranked[:, 0] - last)
    return size, open_ended


def _ranked_lists(rows: np.ndarray, similarity: np.ndarray, min_neighbours: int,
                  n: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each article's neighbour similarities, highest first, one row per article with at least `min_neighbours`
    (NaN-padded to the longest list), and which articles those rows are (a mask over at least `n` articles)."""
    order = np.lexsort((-similarity, rows))
    rows, similarity = rows[order], similarity[order]
    counts = np.bincount(rows, minlength=n)
    read = counts >= min_neighbours
    if not read.any():
        return np.empty((0, 0)), read
    ranked = np.full((len(counts), counts.max()), np.nan)
    ranked[rows, np.arange(len(rows)) - np.searchsorted(rows, rows)] = similarity
    return ranked[read], read


def _background(X: np.ndarray, evidence: EventEvidence | None, pairs: int = 2000) -> float:
    """Median similarity of random pairs: what unrelated articles score. The pairs are drawn by row number with a
    fixed seed; `fit` takes the rows in content order (`_content_order`), so the same articles draw the same pairs
    in whatever order they come (drawn in the caller's order, reordering a corpus could change whether its stories
    read as outgrowing the lists)."""
    rng = np.random.default_rng(0)
    first, second = rng.integers(0, len(X), (2, pairs))
    cosine = np.einsum("ij,ij->i", unit_rows(X[first]), unit_rows(X[second]))
    return float(np.median(cosine if evidence is None else evidence.similarity(first, second, cosine)))


def _content_order(vectors: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The rows sorted by a hash of their vectors and days: an order that does not depend on the order they came
    in (rows alike in both keep theirs)."""
    days = np.where(np.isnan(days), np.inf, days)  # one key for every missing date
    keys = np.array([int.from_bytes(hashlib.blake2b(row.tobytes() + day.tobytes(), digest_size=8).digest(), "little")
                     for row, day in zip(np.ascontiguousarray(vectors), days)], dtype=np.uint64)
    return np.argsort(keys, kind="stable")


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


def _spanning_tree(n: int, rows: np.ndarray, cols: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _parts_kept_whole(tree: np.ndarray, part_of: np.ndarray, labels: np.ndarray,
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


def _join_nearest_story(graph, similarity: np.ndarray, raw: np.ndarray) -> np.ndarray:
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


def _join_own_story(graph, raw: np.ndarray, open_ended: np.ndarray) -> np.ndarray:
    """Noise articles whose list ends inside their story join the cluster holding more than half of their list.
    Used where the lists do not grow: such an article's story is longer than its list (so it is not a
    single-article story, whose list ends outside it), and the cluster most of its list is in is that story;
    excess of mass leaves the loose fringe of such stories as noise (short texts)."""
    asking = (raw[graph.rows] < 0) & open_ended[graph.rows] & (raw[graph.cols] >= 0)
    pairs, counts = np.unique(np.stack([graph.rows[asking], raw[graph.cols[asking]]]), axis=1, return_counts=True)
    most = counts > np.bincount(graph.rows, minlength=len(raw))[pairs[0]] / 2
    joined = raw.copy()
    joined[pairs[0, most]] = pairs[1, most]
    return joined


def _pair_noise(graph, similarity: np.ndarray, raw: np.ndarray, sizes: np.ndarray) -> np.ndarray:
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
        # Pairs within a story: all ordered pairs of its articles, less each article with itself.
        alike = np.einsum("ij,ij->i", sums, sums) - count
        every = np.arange(len(count))
        alike += history_weight * (row_dots(together, every, every) - np.asarray(together.sum(axis=1)).ravel())
        within = alike / np.maximum(count * (count - 1), 1)
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


def _take_out_misfits(vectors: np.ndarray, raw: np.ndarray, share: float, languages: np.ndarray) -> np.ndarray:
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


def _renumber_with_singletons(raw: np.ndarray) -> np.ndarray:
    """Give each noise point its own label and number labels by first appearance."""
    labels = np.empty(len(raw), dtype=np.int64)
    mapping: dict[int, int] = {}
    for i, label in enumerate(raw):
        key = -(i + 1) if label < 0 else int(label)
        labels[i] = mapping.setdefault(key, len(mapping))
    return labels
