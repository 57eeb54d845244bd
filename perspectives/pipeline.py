"""The pipeline as a Python API; each function mirrors one CLI command (ingest, cluster, report, run)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from perspectives.distributed import Mapper
from perspectives.embed import (
    Embedder,
    EncoderAdapter,
    as_embedder,
    content_hashes,
    embed_articles,
    languages_read,
    unread_languages,
)
from perspectives.embed.backends import runs_here
from perspectives.framing import FramingAnalyser
from perspectives.framing.sentences import split_story
from perspectives.framing.takes import corpus_counts, multi_outlet_stories
from perspectives.ingest import COLUMNS, Articles, InputError, load_articles
from perspectives.ingest.feeds import SourcesSummary, ingest_sources
from perspectives.ingest.files import UTF8
from perspectives.ingest.http import PoliteFetcher
from perspectives.ingest.normalise import renamed_where_reused
from perspectives.ingest.sources import load_registry
from perspectives.ingest.translate import TranslationLog, Translator, translate_articles
from perspectives.metrics import grouping_report
from perspectives.report import write_rejects, write_report
from perspectives.shapes import SHAPES, inapplicable
from perspectives.store import Store, among, default_db_path
from perspectives.stories import StoryClusterer, describe_stories
from perspectives.stories.clusterer import FOLLOW_UP_DAYS
from perspectives.stories.copies import copies
from perspectives.stories.identity import carry_over_ids
from perspectives.stories.incremental import (
    RegroupScope,
    followed_up,
    iso_day,
    places,
    touched_undated,
    widened_spans,
)
from perspectives.stories.neighbours import NeighbourGraph, day_numbers, unit_rows
from perspectives.stories.reference import REFERENCE_BELOW, reference_articles
from perspectives.stories.wire import WireDetector, candidate_cosine_for, merge_wire_groups
from perspectives.text import content_hash, embedded_language, without_nan


class StoreNotReady(Exception):
    """The store lacks what a step needs (e.g. a report before any clustering)."""


@dataclass
class Grouping:
    """Stories found in a set of articles.

    `articles` is the input in time order, `vectors` its embeddings row by row, `stories` the stories table and
    `members` the article -> story membership.
    """

    articles: pd.DataFrame
    vectors: np.ndarray
    stories: pd.DataFrame
    members: pd.DataFrame
    newly_embedded: int = 0
    granularity: dict = field(default_factory=dict)  # what the clusterer read from these articles (`granularity`)

    def story_of(self, articles: pd.DataFrame) -> pd.Series:
        """The story id of each article, aligned with `articles`."""
        return articles["id"].map(self.members.set_index("article_id")["story_id"])


def group_stories(articles: pd.DataFrame, embedder: Embedder | None = None, clusterer: StoryClusterer | None = None,
                  store: Store | None = None, wire: WireDetector | None = None, mapper: Mapper | None = None,
                  progress: bool = True, previous: pd.DataFrame | None = None,
                  reference: pd.DataFrame | None = None, dates_set_aside: Collection[str] = (),
                  articles_set_aside: Collection[str] = ()) -> Grouping:
    """Embed articles (cached in `store` when given), group them into described stories, and mark wire copies
    (`members.wire_group`), which always share a story. `mapper` runs embedding and the neighbour search on a
    cluster (see `perspectives.distributed`); `previous` (`article_id, story_id`), the last grouping, which the
    clusterer revises only on evidence (see `StoryClusterer`'s `history_weight`). Fewer than `REFERENCE_BELOW`
    articles are grouped among `reference` articles of other stories (default `reference_articles()`; an empty frame
    groups them alone), which are then dropped (see `stories.reference`). The articles of the outlets
    `dates_set_aside`, and those of the ids `articles_set_aside`, are grouped as undated (an earlier grouping found
    their dates unlike their content), and count among those set aside where the others' are read
    (`StoryClusterer.fit`)."""
    articles = in_schema(articles)
    encoder = as_embedder(embedder)
    clusterer = clusterer or StoryClusterer()
    wire = wire or WireDetector(candidate_cosine=candidate_cosine_for(encoder.name),
                                time_window_days=clusterer.time_window_days)
    # A frame of the analyst's own may mark a missing date NaN (pandas' way); the engine's is None.
    articles = articles.assign(published_at=without_nan(articles[["published_at"]])["published_at"])
    articles = articles.sort_values(["published_at", "id"], na_position="last").reset_index(drop=True)
    vectors, newly_embedded = embed_articles(articles, encoder, store=store, mapper=mapper, progress=progress)
    before = None if previous is None else articles["id"].map(previous.set_index("article_id")["story_id"])
    set_aside = (articles["outlet"].isin(dates_set_aside) | articles["id"].isin(articles_set_aside)).to_numpy()
    if 0 < len(articles) < REFERENCE_BELOW and (reference is None or not reference.empty):
        reference = reference_articles() if reference is None else in_schema(reference)
        labels, graph, placed_by, ignored = fitted_among(clusterer, articles, vectors, reference, encoder, before,
                                                         store, mapper, set_aside)
    else:
        clusterer.fit(vectors, articles=articles, mapper=mapper, previous_stories=before, dates_set_aside=set_aside,
                      languages_read=languages_read(encoder.name))
        labels, graph, placed_by = clusterer.labels_, clusterer.graph_, clusterer.placed_by_
        ignored = clusterer.dates_ignored_
    wire_groups = wire.fit(articles, vectors, graph=graph).groups_
    stories, members = describe_stories(articles, merge_wire_groups(labels, wire_groups), vectors)
    members["wire_group"] = members["article_id"].map(dict(zip(articles["id"], wire_groups)))
    members["content_hash"] = members["article_id"].map(dict(zip(articles["id"], content_hashes(articles))))
    members[["placed_at", "place_similarity"]] = placements(articles, vectors, placed_by).reindex(
        members["article_id"]).to_numpy()
    dates_ignored = articles.loc[ignored, "outlet"].value_counts().sort_index().to_dict()
    return Grouping(articles, vectors, stories, members, newly_embedded,
                    granularity(clusterer) | {"dates_ignored": dates_ignored})


def fitted_among(clusterer: StoryClusterer, articles: pd.DataFrame, vectors: np.ndarray, reference: pd.DataFrame,
                 encoder: Embedder | EncoderAdapter, before: pd.Series | None, store: Store | None,
                 mapper: Mapper | None, set_aside: np.ndarray | None = None,
                 ) -> tuple[np.ndarray, NeighbourGraph, np.ndarray, np.ndarray]:
    """Fit `clusterer` on the articles and the `reference` articles (embedded by `encoder`, cached in `store`) after
    them; the articles' stories, the candidate pairs among them, their placements (`placed_by_`) and the articles
    whose dates were not used (`StoryClusterer.ignored_dates`, read on the articles alone, beside those `set_aside`
    before: a mask). Each reference article
    takes the date of the dated article most like it (undated, of outlets that date none, no dated article would list
    it: `StoryClusterer`'s `time_window_days`); an undated article placed at a reference article's date is placed at
    that article's."""
    ignored = clusterer.ignored_dates(vectors, day_numbers(articles["published_at"], len(articles)), articles,
                                      already=set_aside)
    articles = articles.assign(published_at=articles["published_at"].mask(ignored, None))
    reference = reference.reindex(columns=articles.columns)
    reference_vectors, _ = embed_articles(reference, encoder, store=store, progress=False)
    n, dated = len(articles), np.flatnonzero(articles["published_at"].notna().to_numpy())
    dated_by = dated[(unit_rows(reference_vectors) @ unit_rows(vectors[dated]).T).argmax(axis=1)] if len(dated) else \
        np.full(len(reference), -1)
    reference["published_at"] = articles["published_at"].to_numpy()[dated_by] if len(dated) else None
    # A reference article that is a copy of one of the articles (a corpus holding the project's own texts) would be
    # one point with it, and might stand for it: it is left out.
    both = pd.concat([articles, reference], ignore_index=True)
    copy_of = copies(np.vstack([vectors, reference_vectors]), day_numbers(both["published_at"], len(both)), both)
    kept = ~np.isin(copy_of[n:], copy_of[:n])
    reference, reference_vectors, dated_by = reference[kept], reference_vectors[kept], dated_by[kept]
    previous = None if before is None else pd.concat([before, pd.Series([None] * len(reference))], ignore_index=True)
    # The reference articles took the articles' dates: the dates were read on the articles alone, above.
    with dates_read(clusterer, False):
        clusterer.fit(np.vstack([vectors, reference_vectors]),
                      articles=pd.concat([articles, reference], ignore_index=True), mapper=mapper,
                      previous_stories=previous, languages_read=languages_read(encoder.name))
    placed_by = clusterer.placed_by_[:n]
    return (pd.factorize(clusterer.labels_[:n])[0], clusterer.graph_.among_first(n),
            np.where(placed_by >= n, dated_by[np.maximum(placed_by - n, 0)], placed_by), ignored)


def in_schema(articles: pd.DataFrame) -> pd.DataFrame:
    """`articles` as the engine reads them. A frame of an analyst's own (any columns a file may have: `headline`,
    `date`, no ids) is validated as a file is (`load_articles`); a row that fails raises, as dropping it would lose it
    unseen."""
    if set(COLUMNS) <= set(articles.columns):
        return articles
    loaded = load_articles(articles)
    if not loaded.rejects.empty:
        first = loaded.rejects.iloc[0]
        raise InputError(f"{len(loaded.rejects)} of the frame's rows cannot be grouped (row {first['row']}: "
                         f"{first['reason']}); load_articles(frame) gives the valid rows and the rejects")
    return loaded.articles


@contextmanager
def dates_read(clusterer: StoryClusterer, read: bool) -> Iterator[StoryClusterer]:
    """`clusterer` with its `check_dates` on where `read` and it was on, off otherwise, until the block ends."""
    before = clusterer.check_dates
    clusterer.set_params(check_dates=before and read)
    try:
        yield clusterer
    finally:
        clusterer.set_params(check_dates=before)


def placements(articles: pd.DataFrame, vectors: np.ndarray, placed_by: np.ndarray) -> pd.DataFrame:
    """By article id: where each undated article was placed (`placed_by`: the row of the dated article whose time
    it took, -1 if none) and its cosine with that article, the embeddings as they are (a later batch's articles are
    compared with it the same way, `stories.incremental`); None for the others."""
    rows = np.flatnonzero(placed_by >= 0)
    unit = unit_rows(vectors)
    frame = pd.DataFrame({"placed_at": None, "place_similarity": None}, index=articles["id"], dtype=object)
    frame.iloc[rows, 0] = articles["published_at"].to_numpy()[placed_by[rows]]
    frame.iloc[rows, 1] = np.einsum("ij,ij->i", unit[rows], unit[placed_by[rows]]).astype(float)
    return frame


def granularity(clusterer: StoryClusterer) -> dict:
    """How a fitted clusterer sized the stories: the typical story size it read from the articles (None unless
    `min_cluster_size` is "auto"), the smallest story it kept, the neighbours per article it compared, whether
    stories outgrew the lists (then noise joined its nearest story and stories were compared as wholes) and, where
    it grouped a region of large stories apart (`StoryClusterer.large_stories_`), the same of that region with its
    number of articles (None otherwise)."""
    apart = clusterer.large_stories_
    return {"story_size": clusterer.story_size_, "min_cluster_size": clusterer.min_cluster_size_,
            "neighbours": clusterer.n_neighbors_, "large_stories": clusterer.n_neighbors_ > clusterer.n_neighbors,
            "large_stories_apart": None if apart is None else {
                "articles": len(clusterer.large_story_rows_), **granularity(apart)}}


@dataclass
class IngestSummary:
    loaded: int = 0
    rejected: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects_path: str | None = None
    web: SourcesSummary | None = None  # when feeds were polled
    translation: TranslationLog | None = None  # when a translator was given: languages translated and not
    outlets_missing: int = 0  # rows without an outlet (named by their link's host, title's site or "unknown")
    columns_read_as: dict[str, str] = field(default_factory=dict)  # a file's own column name -> the schema's
    ids_from_rows: int = 0  # rows of a file without ids, each named by its file and row number
    dates_day_first: list[str] = field(default_factory=list)  # files whose dates of numbers put the day first
    # Stored articles named by their file and row whose content this read changed: edits, or another file's rows.
    rows_replaced: int = 0
    site_names_read_off: int = 0  # rows whose title ended in a site or section name, read off
    boilerplate_read_off: int = 0  # rows whose body held their outlet's header or footer, read off
    languages_contradicted: int = 0  # rows whose given language (a file's default) their text contradicted
    values_unread: dict[str, Counter] = field(default_factory=dict)  # per field, values not read (rows kept without)
    ids_reused: int = 0  # rows under an id another article (of the read, or stored) has: renamed


def ingest(*paths: Articles, db: str | Path | None = None, rejects: str | Path | None = "out/rejects.csv",
           sources: str | Path | None = None, since=None, fetcher: PoliteFetcher | None = None,
           translator: Translator | None = None, progress: bool = True,
           allow_private: Iterable[str] = (), encoding: str = UTF8) -> IngestSummary:
    """Validate articles into the store and, with `sources`, poll the registry's feeds.

    Every row, from files and feeds alike, goes through the one validator; a known article is updated only when
    its content changed.

    Parameters
    ----------
    *paths : str, Path, DataFrame or Source
        Article files (CSV, JSON, JSON lines, Parquet, workbooks), frames or any `ingest.Source` (see
        `load_articles`).
    db : str or Path, optional
        The store (a SQLite file, created when missing); default ``$PERSPECTIVES_DB``, else ``perspectives.db``.
    rejects : str or Path, optional
        The CSV file the rejected rows of `paths` go to, each with its reason; None writes none.
    sources : str or Path, optional
        A TOML registry of outlets whose feeds are polled (README, "Ingesting from the web").
    since : date or str, optional
        Feed items published before it are skipped.
    fetcher : PoliteFetcher, optional
        Fetches the feeds; default a `PoliteFetcher` that contacts public addresses and those of `allow_private`.
    translator : Translator, optional
        Fills ``title_en`` / ``text_en`` of the non-English articles that have none (``ingest.translate``).
    progress : bool
        Show progress bars.
    allow_private : iterable of str
        ``HOST[:PORT]`` entries the default fetcher may contact although they are not public (as do those of
        ``$PERSPECTIVES_ALLOW_PRIVATE``).
    encoding : str
        The text encoding of the CSV and JSON files among `paths` (e.g. ``"cp1252"``); never guessed.

    Returns
    -------
    IngestSummary
        Rows loaded and rejected, articles new, updated and unchanged in the store, the rejects file, and the
        feeds' and the translator's summaries when they ran.

    Raises
    ------
    InputError
        A file that cannot be read at all (not CSV, not UTF-8, no title or text column) or a bad registry.
    ValueError
        Both `fetcher` and `allow_private` given.

    See Also
    --------
    perspectives.ingest.load_articles : The same validation, into a DataFrame.

    Examples
    --------
    >>> from perspectives.embed import HashedWords  # no model to load: words, not meanings
    >>> from perspectives.ingest.examples import example_corpus
    >>> corpus = example_corpus()  # five articles on two events, as CSV in a new folder; `event` names each one's
    >>> class Wire:  # a source of your own: a name and rows() yielding (row number, raw record)
    ...     name = "wire"
    ...     def rows(self):
    ...         yield 1, {"id": "w1", "outlet": "Wire", "url": "javascript:alert(1)", "title": "Quake"}
    >>> summary = ingest(corpus, Wire(), db=corpus.with_name("news.db"), rejects=corpus.with_name("rejects.csv"))
    >>> summary.loaded, summary.rejected, summary.new
    (5, 1, 5)
    >>> import pandas as pd
    >>> pd.read_csv(summary.rejects_path)["reason"][0]
    "invalid url 'javascript:alert(1)' (only http and https links are kept)"
    >>> ingest(corpus, db=corpus.with_name("news.db"), rejects=None).unchanged
    5
    """
    if fetcher is not None and allow_private:
        raise ValueError("give allow_private to the PoliteFetcher passed as fetcher")
    registry = load_registry(sources) if sources else None  # a bad registry fails before anything is written
    if registry and fetcher is None:
        fetcher = PoliteFetcher(allow_private=allow_private)  # so do bad allow_private entries
    loaded = load_articles(*paths, encoding=encoding)
    log = TranslationLog(translator) if translator is not None else None
    articles = translate_articles(loaded.articles, log) if log is not None else loaded.articles
    with Store(db) as store:
        articles, renamed_ids = renamed_where_reused(articles, store.articles(*among(articles["id"]), texts=False))
        # Renamed when first read, such a row is stored under its new id: read again, it is said once.
        ids_reused = len(set(renamed_ids) - set(store.articles(*among(renamed_ids), texts=False)["id"]))
        counts = store.upsert_articles(articles)
        web = ingest_sources(registry, store, fetcher=fetcher, since=since, translator=log,
                             progress=progress) if registry else None
    rejects_path = write_rejects(loaded.rejects, rejects) if rejects and paths else None
    # Only the updated articles are looked at: a large read's every row is not turned into a dict again.
    updated_extras = loaded.articles.set_index("id")["extra"].reindex(counts.updated_ids)
    return IngestSummary(len(loaded.articles), len(loaded.rejects), counts.new, counts.updated, counts.unchanged,
                         str(rejects_path) if rejects_path else None, web, log,
                         loaded.outlets_missing, loaded.columns_read_as, loaded.ids_from_rows,
                         loaded.dates_day_first, sum(extra.get("id_source") == "row" for extra in updated_extras),
                         loaded.site_names_read_off, loaded.boilerplate_read_off, loaded.languages_contradicted,
                         loaded.values_unread, loaded.ids_reused + ids_reused)


@dataclass
class ClusterSummary:
    model: str
    articles: int
    stories: int
    multi_outlet_stories: int
    single_article_stories: int
    newly_embedded: int
    wire_copies: int = 0
    run_id: int = 0
    params: dict = field(default_factory=dict)
    lineage: dict = field(default_factory=dict)  # relation -> number of stories (continued, merged, split, new)
    mode: str = "full"  # full, incremental (only what new articles can touch) or unchanged (nothing to do)
    regrouped: int = 0  # articles grouped again in this run
    granularity: dict = field(default_factory=dict)  # how the regrouped articles' stories were sized (`granularity`)
    # Regrouped articles in another language than English, with no translation, where the model reads English only.
    untranslated: int = 0


def cluster(db: str | Path | None = None, model: str | None = None, time_window_days: float | None = 3.0,
            min_cluster_size: int | str = "auto", pull_share: float | None = None, full: bool = False,
            backend: str | None = None, check_dates: bool = True,
            mapper: Mapper | None = None, embedder: Embedder | None = None, clusterer: StoryClusterer | None = None,
            progress: bool = True, reference: pd.DataFrame | None = None,
            follow_up_days: float | None = FOLLOW_UP_DAYS) -> ClusterSummary:
    """Group the stored articles into stories and save them.

    Only new and changed articles, the articles placed within the time window of them (an undated article where
    the dated article most like it was published), the stored stories they may follow up beyond the window
    (`stored_follow_ups`) and the stories those are in are read from the store and grouped again, widened to at
    least `stories.incremental.MIN_REGROUP` articles; other stories stay as they are, untouched. `full` (or changed
    parameters) regroups everything. Story ids carry over either way (see `stories.identity`).

    Parameters
    ----------
    db : str or Path, optional
        The store; default ``$PERSPECTIVES_DB``, else ``perspectives.db``.
    model : str, optional
        The embedding model: a name, a model folder or a hub id (see `embed.resolve_model`); default the one the
        store was last grouped with, else the first folder under models/, else the packaged all-MiniLM-L6-v2.
    time_window_days : float or None
        Articles published further apart are never compared; None ignores dates.
    min_cluster_size : int or "auto"
        See `StoryClusterer`.
    pull_share : float, optional
        Pull each article toward its best candidates before the story size is read (`StoryClusterer`'s
        `pull_share`; ``stories.clusterer.PULL_SHARE`` is the setting measured): for corpora of loose short texts.
        None (the default) pulls nothing.
    check_dates : bool
        Set aside the dates of outlets whose dates do not agree with their articles' content (`StoryClusterer`'s
        `check_dates`: a scraper's fetch times); False uses every date as given.
    follow_up_days : float or None
        Join the stories the time window kept apart, a development reported at most this many days after its
        event's story ends (`StoryClusterer`'s `follow_up_days`); None joins none.
    full : bool
        Regroup every article, and read every outlet's dates again (dates a grouping set aside stay so until then,
        or until a reading of the whole store finds them real with confidence: see `stored_dates_read`).
    backend : str, optional
        How the model runs on CPU (``embed.backends.BACKENDS``); default the one the store's last grouping used,
        else the model's best on this CPU (see `store_embedder`).
    mapper : Mapper, optional
        Runs embedding and the neighbour search on workers (see `perspectives.distributed`).
    embedder : Embedder or encoder, optional
        Replaces `model` and `backend`: an `Embedder` already loaded, or any object with ``encode(texts)`` and
        ``name`` (its vectors are cached under that name).
    clusterer : StoryClusterer, optional
        Replaces `time_window_days`, `min_cluster_size`, `pull_share`, `check_dates` and `follow_up_days`: the
        grouping with all its settings.
    progress : bool
        Show progress bars.
    reference : DataFrame, optional
        The articles of other stories that fewer than `REFERENCE_BELOW` articles are grouped among (see
        `group_stories`); default the packaged ones.

    Returns
    -------
    ClusterSummary
        The store's articles and stories after the run, how the stories descend from the previous run's
        (``lineage``) and what was regrouped (``mode``: full, incremental or unchanged).

    Raises
    ------
    ModelNotFound
        The model cannot be resolved or loaded.

    See Also
    --------
    perspectives.stories.StoryClusterer : The grouping itself, on vectors.

    Examples
    --------
    >>> from perspectives.embed import HashedWords  # no model to load: words, not meanings
    >>> from perspectives.ingest.examples import example_corpus
    >>> corpus = example_corpus()  # five articles on two events, as CSV in a new folder; `event` names each one's
    >>> db = corpus.with_name("news.db")
    >>> _ = ingest(corpus, db=db, rejects=None)
    >>> summary = cluster(db=db, embedder=HashedWords())
    >>> summary.stories, summary.multi_outlet_stories, summary.mode
    (2, 2, 'full')
    >>> cluster(db=db, embedder=HashedWords()).mode  # nothing new: nothing to regroup
    'unchanged'
    """
    embedder = embedder or store_embedder(db, model, backend)
    clusterer = clusterer or StoryClusterer(min_cluster_size=min_cluster_size, time_window_days=time_window_days,
                                            pull_share=pull_share, check_dates=check_dates,
                                            follow_up_days=follow_up_days)
    params = {"model": embedder.name, **clusterer.get_params()}
    with Store(db) as store:
        changed = store.changed_articles()
        everything = full or not store.same_params("cluster", params)
        # The dates a grouping set aside stay so (the articles', grouped as undated, and an outlet's to come where all
        # its dates were; where it set every date aside, and so placed no article, every outlet's, and every run
        # regroups everything: an outlet to come would place the rest) until `full` (or new parameters) reads every
        # outlet's again, or the whole store's reading afresh finds them real with confidence (below).
        last = {} if everything else store.last_summary("cluster").get("granularity", {})
        last_dates = {key: last[key] for key in ("dates_ignored", "all_dates_ignored") if last.get(key)}
        every_date_aside = bool(last.get("all_dates_ignored"))
        set_aside = [] if everything or changed.empty else sorted(last["dates_ignored"]) if every_date_aside else \
            store.outlets_set_aside()
        scope, scope_embedded = (None, 0) if everything or every_date_aside or changed.empty else stored_scope(
            store, changed, embedder, clusterer.time_window_days, mapper, progress, set_aside,
            clusterer.follow_up_days, clusterer.merge_share or 0.0)
        unchanged = not store.count("articles") or (not everything and changed.empty)
        with store.recording_run("cluster", params) as run_id:
            summary = ClusterSummary(model=embedder.name, articles=0, stories=0, multi_outlet_stories=0,
                                     single_article_stories=0, newly_embedded=0, run_id=run_id, params=params,
                                     mode="unchanged" if unchanged else "incremental" if scope else "full")
            if unchanged:
                summary.granularity = last_dates
                counts = store.finish_run(run_id, asdict(summary))
            else:
                def regrouped(scope: RegroupScope | None, released: Collection[str] = frozenset()
                              ) -> tuple[pd.DataFrame, pd.DataFrame, Grouping]:
                    articles, previous = store.regroup_window(scope.spans, scope.ids) if scope else (
                        store.articles(), store.members())
                    # A window's dates are read with the whole store's, below: its own few articles are too few to
                    # set an outlet's dates aside on.
                    kept_aside = [] if everything else previous.loc[
                        previous["placed_at"].notna() & ~previous["article_id"].isin(released), "article_id"]
                    outlets_aside = set(set_aside) - set(articles.loc[articles["id"].isin(released), "outlet"])
                    with dates_read(clusterer, not scope):
                        return articles, previous, group_stories(
                            articles, embedder, clusterer, store=store, mapper=mapper, progress=progress,
                            previous=previous, reference=reference, dates_set_aside=sorted(outlets_aside),
                            articles_set_aside=kept_aside)

                articles, previous, grouping = regrouped(scope)
                if clusterer.check_dates and not everything:
                    anew, released = stored_dates_read(store, clusterer, embedder.name, set_aside, anew=bool(scope))
                    if released or anew:
                        # Dates the window was grouped by are set aside, or dates set aside before are real:
                        # everything is regrouped by that reading.
                        scope = None
                        articles, previous, grouping = regrouped(scope, released)
                summary.mode = "incremental" if scope else "full"
                replaced = sorted(set(previous["story_id"])) if scope else None
                if replaced is not None:
                    grouping.granularity["dates_ignored"] = dict(sorted((
                        Counter(grouping.granularity["dates_ignored"]) + Counter(store.dates_set_aside(replaced))
                    ).items()))
                dated = int(articles["published_at"].notna().sum())
                grouping.granularity["all_dates_ignored"] = bool(
                    not scope and dated and sum(grouping.granularity["dates_ignored"].values()) == dated)
                reserved = store.story_ids() - set(replaced) if replaced is not None else set()
                lineage = keep_story_ids(grouping, previous, reserved=reserved)
                summary.newly_embedded = grouping.newly_embedded + scope_embedded
                summary.regrouped = len(articles)
                summary.granularity = grouping.granularity
                summary.untranslated = unread_languages(articles, embedder.name)
                summary.lineage = lineage["relation"].value_counts().to_dict()
                counts = store.replace_stories(run_id, grouping.stories, grouping.members, asdict(summary), lineage,
                                               replaced=replaced)
    return replace(summary, articles=counts["articles"], stories=counts["stories"],
                   multi_outlet_stories=counts["multi_outlet_stories"],
                   single_article_stories=counts["single_article_stories"], wire_copies=counts["wire_copies"])


def stored_scope(store: Store, changed: pd.DataFrame, embedder: Embedder, window: float | None,
                 mapper: Mapper | None = None, progress: bool = True,
                 dates_set_aside: Collection[str] = (), reach: float | None = None,
                 share: float = 0.7) -> tuple[RegroupScope | None, int]:
    """What the store's `changed` articles (`id, published_at, outlet`) can touch (`stories.incremental`), None
    where everything must be regrouped; and how many of them were embedded to tell (where undated articles are placed
    or could be, or dated ones may follow up stories beyond the window within `reach` days, `incremental.followed_up`
    at `share`, the batch is embedded before the scope is known). The articles of the outlets `dates_set_aside` count
    as undated."""
    grouped = store.count("story_members") > 0
    if not grouped or window is None:
        return None, 0
    encoder = as_embedder(embedder)
    changed = changed.assign(published_at=changed["published_at"].mask(changed["outlet"].isin(dates_set_aside), None))
    undated = changed["published_at"].isna().to_numpy()
    new, batch_ids = among(changed["id"])
    stored = [(chunk, unit_rows(rows)) for chunk, rows in store.vector_chunks(
        encoder.name, f"m.placed_at IS NOT NULL AND NOT a.{new}", batch_ids, columns=("a.id", "m.place_similarity"))]
    vectors, embedded = None, 0
    if undated.any() or stored or (reach is not None and not undated.all()):
        batch = store.articles(new, batch_ids).set_index("id").loc[changed["id"]].reset_index()
        found, embedded = embed_articles(batch, encoder, store=store, mapper=mapper, progress=progress)
        vectors = unit_rows(found)
    dated = ((day_numbers(chunk["published_at"], len(chunk)), unit_rows(rows))
             for chunk, rows in store.vector_chunks(
                 encoder.name, "a.published_at IS NOT NULL AND m.placed_at IS NULL AND a.outlet NOT IN "
                 "(SELECT value FROM json_each(:set_aside))", {"set_aside": json.dumps(list(dates_set_aside))},
                 columns=("a.published_at",)))
    new_places = places(changed["published_at"], None if vectors is None else vectors[undated], dated)
    touched = [] if vectors is None else touched_undated(vectors[undated], vectors[~undated], stored)
    if vectors is not None and window is not None and reach is not None and not undated.all():
        touched += stored_follow_ups(store, encoder, batch.assign(published_at=changed["published_at"].to_numpy()),
                                     vectors, window, reach, share, dates_set_aside)
    ids = sorted(set(changed["id"]) | set(touched))
    first, last = day_numbers(list(store.published_span()), 2)
    spans = widened_spans(new_places, window, grouped, lambda spans: store.regroup_size(spans, ids),
                          store.count("articles"), 0.0 if np.isnan(first) else last - first)
    return (None if spans is None else RegroupScope(spans, ids)), embedded


def stored_follow_ups(store: Store, encoder: Embedder | EncoderAdapter, batch: pd.DataFrame, vectors: np.ndarray,
                      window: float, reach: float, share: float, dates_set_aside: Collection[str] = ()) -> list[str]:
    """The ids of the stored articles whose stories the `batch`'s dated articles (`vectors`: their unit rows) may
    follow up or be followed up by (`incremental.followed_up`): only the articles a join across time reads (with a
    body, in a language the model reads; `refine.join_follow_ups`) look, among stored ones alike, grouped as dated,
    within `reach` days."""
    read = languages_read(encoder.name)
    looks = batch["published_at"].notna().to_numpy() & batch["text"].fillna("").str.strip().astype(bool).to_numpy()
    if read is not None:
        looks &= np.isin(embedded_language(batch), sorted(read))
    if not looks.any():
        return []
    days = day_numbers(batch["published_at"][looks], int(looks.sum()))
    new, batch_ids = among(batch["id"])
    where = (f"m.placed_at IS NULL AND m.story_id IS NOT NULL AND NOT a.{new} AND a.published_at BETWEEN :first AND "
             ":last AND a.outlet NOT IN (SELECT value FROM json_each(:set_aside)) AND TRIM(COALESCE(a.text, '')) != ''"
             + ("" if read is None else f" AND {_EMBEDDED_LANGUAGE} IN (SELECT value FROM json_each(:read))"))
    params = {**batch_ids, "first": iso_day(days.min() - reach), "last": iso_day(days.max() + reach),
              "set_aside": json.dumps(list(dates_set_aside)), "read": json.dumps(sorted(read or []))}
    stored = ((chunk, unit_rows(rows)) for chunk, rows in store.vector_chunks(
        encoder.name, where, params, columns=("a.id", "a.published_at")))
    return followed_up(days, vectors[looks], stored, window, reach, share)


# `text.embedded_language` in SQL (ingestion stores a blank translation as NULL).
_EMBEDDED_LANGUAGE = ("CASE WHEN a.title_en IS NOT NULL OR a.text_en IS NOT NULL THEN 'en' "
                      "ELSE COALESCE(a.language, '') END")


def stored_dates_read(store: Store, clusterer: StoryClusterer, model: str, set_aside: Collection[str],
                      anew: bool = True) -> tuple[bool, set[str]]:
    """The whole store's dates read as a full regroup reads them (`StoryClusterer.ignored_dates`; the dates set aside
    before, grouped as undated, and those of the outlets `set_aside`, kept so): with `anew`, whether that sets aside a
    date it did not before; and the ids of the articles set aside before whose dates a reading afresh finds
    confidently real (`StoryClusterer.released_dates`).

    An outlet's back catalogue stamped with the hours it was fetched has its stories' other reports outside a batch's
    window, so the window cannot tell. Read on a sample of the store around the batch, the reading differed from the
    whole store's (an article's nearest, read among a few rows, listed the asked one for want of its own story's
    reports), and set aside on a batch what the full regroup then kept, every hour."""
    if not anew and not set_aside and not store.dates_set_aside():
        return False, set()  # nothing to read: a full regroup reads the dates itself
    chunks = list(store.vector_chunks(model, "1", columns=("a.id", "a.published_at", "a.outlet", _EMBEDDED_LANGUAGE,
                                                           "m.placed_at")))
    if not chunks:
        return False, set()
    articles = pd.concat([chunk for chunk, _ in chunks], ignore_index=True).set_axis(
        ["id", "published_at", "outlet", "language", "placed_at"], axis=1).assign(title_en=None, text_en=None)
    days, vectors = day_numbers(articles["published_at"], len(articles)), np.vstack([rows for _, rows in chunks])
    before = ~np.isnan(days) & (articles["placed_at"].notna() | articles["outlet"].isin(set_aside)).to_numpy()
    found = anew and bool((clusterer.ignored_dates(vectors, days, articles, already=before) & ~before).any())
    released = clusterer.released_dates(vectors, days, articles, before) if before.any() else before
    return found, set(articles.loc[released, "id"])


def keep_story_ids(grouping: Grouping, previous: pd.DataFrame, reserved: Collection[str] = frozenset()) -> pd.DataFrame:
    """Rename this grouping's stories to the ids they keep from the previous run (in place); return the lineage.
    `reserved` ids belong to stories outside this grouping and are never given out."""
    mapping, lineage = carry_over_ids(grouping.members[["article_id", "story_id"]],
                                      previous[["article_id", "story_id"]], reserved)
    grouping.stories["story_id"] = grouping.stories["story_id"].map(mapping)
    grouping.members["story_id"] = grouping.members["story_id"].map(mapping)
    return lineage


def report(db: str | Path | None = None, out: str | Path = "out", format: str = "csv",
           embedder: Embedder | None = None, mapper: Mapper | None = None, progress: bool = True) -> dict[str, Path]:
    """Write the report for the stored stories: the articles, the stories and one table per framing analysis.

    The framing analyses embed sentences with the packaged model, on which their thresholds are calibrated,
    whatever model grouped the stories: `embedder` (see `framing_embedder`), else the store's grouping backend. Their
    tables are cached per story in the store (see `update_framing`). With `mapper` the sentences are embedded on its
    workers. The files are written from the store a chunk at a time (see `report.write_report`).
    """
    embedder = embedder or framing_embedder(store_embedder(db))
    with Store(db) as store:
        if store.count("articles") and not store.count("story_members"):
            raise StoreNotReady("no stories in the store yet: run `perspectives cluster` first")
        update_framing(store, FramingAnalyser(embedder, store=store), mapper=mapper, progress=progress)
        return write_report(Path(out), store, format=format)


@dataclass
class FramingSummary:
    analysed: int  # stories whose tables were computed in this report
    reworded: int  # stories whose takes and terms were computed again (their wording prior changed), the rest reused
    reused: int  # stories whose cached tables were still valid
    dropped: int  # cached stories that are gone (or no longer covered by two outlets)


def update_framing(store: Store, analyser: FramingAnalyser, mapper: Mapper | None = None,
                   progress: bool = True) -> FramingSummary:
    """Bring the store's framing cache up to date: each story's tables stay cached where its key
    (`FramingAnalyser.story_keys`: its members, the settings, the framing code and the articles of its wording prior)
    is unchanged. A story whose members changed is analysed again; one whose prior alone changed gets only its takes
    and terms again. The tables equal those of analysing every story afresh.

    The keys read no text (the store keeps a hash of each article, `store.row_hashes`). The stale stories are taken
    `FRAMING_BATCH` at a time in publication order, each batch reading whole only its stories' articles and their
    priors and saved when done: memory stays bounded even when every story is stale (changed code or settings), and
    an interrupted update keeps what it finished."""
    hashes, members = store.article_hashes(), store.members()
    keys = analyser.story_keys(hashes, members)
    cached = {story_id: key for story_id, key in store.framing_keys().items()
              if story_id in keys and key.split(":")[0] == keys[story_id].split(":")[0]}
    reword = {story_id for story_id, key in cached.items() if key != keys[story_id]}
    missing = set(keys) - set(cached)
    dropped = store.save_framing({}, keys)
    for batch in _in_time_order(missing | reword, members, hashes):
        chosen = members[members["story_id"].isin(batch)]
        articles = store.articles_with_ids(hashes.loc[analyser.prior_articles(hashes, members, batch), "id"])
        counts = corpus_counts(articles, analyser.wording)
        new, again = sorted(missing.intersection(batch)), sorted(reword.intersection(batch))
        fresh = analyser.story_rows(articles, chosen, new, mapper=mapper, progress=progress, counts=counts)
        previous = store.framing_rows(again)
        fresh |= {story_id: previous[story_id] | wording
                  for story_id, wording in analyser.wording_rows(articles, chosen, again, counts).items()}
        dropped += store.save_framing(fresh, keys)
    return FramingSummary(analysed=len(missing), reworded=len(reword), reused=len(cached) - len(reword),
                          dropped=dropped)


FRAMING_BATCH = 500  # stale stories analysed together (see `update_framing`)


def _in_time_order(story_ids: set[str], members: pd.DataFrame, hashes: pd.DataFrame) -> list[list[str]]:
    """These stories in order of their first article (undated last), `FRAMING_BATCH` at a time, so that a batch's
    wording priors overlap."""
    chosen = members.loc[members["story_id"].isin(story_ids), ["story_id", "article_id"]]
    first = chosen.merge(hashes[["id", "published_at"]], left_on="article_id", right_on="id").groupby(
        "story_id")["published_at"].min().dropna().to_dict()
    ordered = sorted(story_ids, key=lambda story_id: (story_id not in first, first.get(story_id, ""), story_id))
    return [ordered[start:start + FRAMING_BATCH] for start in range(0, len(ordered), FRAMING_BATCH)]


@dataclass
class PruneSummary:
    before: str  # articles older than this went (with their whole stories)
    articles: int
    stories: int
    vectors: int  # cached vectors removed: of the articles and of their stories' sentences
    bytes_before: int
    bytes_after: int


def prune(db: str | Path | None = None, before: str | None = None, keep_days: float | None = None,
          now: pd.Timestamp | None = None) -> PruneSummary:
    """Remove the articles older than `before` (a date or time) or than `keep_days` before `now` (with both, the
    earlier cutoff: the one that keeps more), a story only when all its articles are old, with their cached vectors
    and framing, in one transaction; then VACUUM. Sentence vectors that a kept story shares are embedded again
    when it is next analysed."""
    try:
        cutoffs = [pd.to_datetime(before, utc=True) if before is not None else None,
                   (now or pd.Timestamp.now(tz="UTC")) - pd.Timedelta(days=keep_days)
                   if keep_days is not None else None]
    except ValueError as exc:
        raise InputError(f"invalid --before {before!r} (expected a date such as 2025-01-31)") from exc
    given: list[pd.Timestamp] = [c for c in cutoffs if c is not None and not pd.isna(c)]
    if not given:
        raise InputError("give --before DATE, --keep-days N or both")
    cutoff = min(given).strftime("%Y-%m-%dT%H:%M:%SZ")
    with Store(db) as store:
        articles, members = store.prunable(cutoff)
        sentences = [s["sentence"] for _, story in multi_outlet_stories(articles, members)
                     for s in split_story(story, "")[0]]
        hashes = content_hashes(articles) + [content_hash(s) for s in sentences]
        counts = store.prune(articles["id"], members["story_id"].unique(), hashes)
    return PruneSummary(before=cutoff, **counts)


@dataclass
class RunSummary:
    ingest: IngestSummary
    cluster: ClusterSummary
    files: dict[str, Path]


Step = IngestSummary | ClusterSummary | dict[str, Path]


def run(*paths: Articles, db: str | Path | None = None, out: str | Path = "out", model: str | None = None,
        time_window_days: float | None = 3.0, pull_share: float | None = None, sources: str | Path | None = None,
        since=None, fetcher: PoliteFetcher | None = None, translator: Translator | None = None, format: str = "csv",
        backend: str | None = None, mapper: Mapper | None = None, progress: bool = True,
        allow_private: Iterable[str] = (), embedder: Embedder | None = None,
        on_step: Callable[[Step], None] | None = None, encoding: str = UTF8, check_dates: bool = True,
        follow_up_days: float | None = FOLLOW_UP_DAYS) -> RunSummary:
    """Ingest (files and/or feeds), cluster and report in one go: the ``perspectives run`` command.

    Parameters
    ----------
    *paths : str, Path, DataFrame or Source
        Articles (see `ingest`); their rejected rows go to ``OUT/rejects.csv``.
    db : str or Path, optional
        The store; default ``$PERSPECTIVES_DB``, else ``perspectives.db``.
    out : str or Path
        The report's folder.
    model, time_window_days, pull_share, check_dates, follow_up_days, backend, mapper
        See `cluster`.
    sources, since, fetcher, translator, allow_private, encoding
        See `ingest`.
    format : {"csv", "parquet"}
        See `report`.
    progress : bool
        Show progress bars.
    embedder : Embedder or encoder, optional
        Replaces `model` and `backend`, as in `cluster`; a user's own encoder (not an `Embedder`) embeds the
        framing's sentences too (see `framing_embedder`).
    on_step : callable, optional
        Called with each step's outcome as soon as it is done (the `IngestSummary`, the `ClusterSummary`, then the
        report's paths), e.g. to show it; an exception it raises stops the run there.

    Returns
    -------
    RunSummary
        The `ingest` and `cluster` summaries and the report's files.

    Raises
    ------
    InputError
        A file or the registry cannot be read at all.
    ModelNotFound
        The model cannot be resolved or loaded.

    Examples
    --------
    >>> from perspectives.embed import HashedWords  # no model to load: words, not meanings
    >>> from perspectives.ingest.examples import example_corpus
    >>> corpus = example_corpus()  # five articles on two events, as CSV in a new folder; `event` names each one's
    >>> summary = run(corpus, db=corpus.with_name("news.db"), out=corpus.with_name("report"), embedder=HashedWords())
    >>> summary.ingest.new, summary.cluster.stories
    (5, 2)
    >>> import pandas as pd
    >>> pd.read_csv(summary.files["stories"])[["label", "n_outlets", "countries"]]
                                  label  n_outlets   countries
    0  Quake topples buildings in Izmir          3  FR, SE, US
    1    Central bank lifts rates to 5%          2      FR, US
    """
    step = on_step or (lambda _: None)
    ingested = ingest(*paths, db=db, rejects=Path(out) / "rejects.csv", sources=sources, since=since,
                      fetcher=fetcher, translator=translator, progress=progress, allow_private=allow_private,
                      encoding=encoding)
    step(ingested)
    embedder = embedder or store_embedder(db, model, backend)
    clustered = cluster(db=db, time_window_days=time_window_days, pull_share=pull_share, mapper=mapper,
                        embedder=embedder, progress=progress, check_dates=check_dates, follow_up_days=follow_up_days)
    step(clustered)
    files = report(db=db, out=out, format=format, embedder=framing_embedder(embedder), mapper=mapper,
                   progress=progress)
    step(files)
    return RunSummary(ingested, clustered, files)


def store_embedder(db: str | Path | None, model: str | None = None, backend: str | None = None) -> Embedder:
    """`Embedder(model, backend=backend)`. Without a `model`, the one the store's last grouping used (a run that
    leaves out `--model` adds to the store's stories instead of embedding and grouping every article again with
    another model); without a `backend`, the one that grouping ran the model on, where it runs here, rather than this
    CPU's default. A store moved to a machine with another default (or whose machine's default changed) then reads
    its cached vectors instead of embedding every article again."""
    last = {}
    if (default_db_path() if db is None else Path(db)).exists():
        with Store(db) as store:
            last = store.last_params("cluster") or {}
    name, _, stored = str(last.get("model", "")).partition("@")
    embedder = Embedder(model or name or None, backend=backend)
    stored = stored or "torch"
    if backend is not None or name != embedder.spec.name or stored == embedder.backend \
            or not runs_here(stored, embedder.spec):
        return embedder
    return Embedder(embedder.spec, backend=stored)


def framing_embedder(grouping_embedder: Embedder) -> Embedder:
    """The framing's model: the packaged one, on which its thresholds are calibrated. The grouping's own instance
    when it runs that model on any backend but `static` (one vector per token, too coarse for sentences), so a run
    loads the model once and a chosen backend holds for the framing too. A user's own encoder (not an `Embedder`)
    is used as it is: it may be the one model they can run."""
    if not isinstance(grouping_embedder, Embedder):
        return grouping_embedder
    default = Embedder()
    same_model = grouping_embedder.spec == default.spec and grouping_embedder.backend != "static"
    return grouping_embedder if same_model else default


def evaluate(path: str | Path | pd.DataFrame, gold: str, model: str | None = None, time_window_days: float | None = 3.0,
             pull_share: float | None = None, db: str | Path | None = None, backend: str | None = None,
             mapper: Mapper | None = None, progress: bool = True,
             embedder: Embedder | None = None, shape: str = "as given",
             encoding: str = UTF8, follow_up_days: float | None = FOLLOW_UP_DAYS) -> dict[str, float | str]:
    """Group a labelled file's articles and score the grouping against its `gold` column.

    Nothing is stored but, with `db`, embeddings are cached there so a second evaluation embeds nothing.

    Parameters
    ----------
    path : str, Path or DataFrame
        An article file or frame (see `ingest`) with a column naming each article's true story.
    gold : str
        That column; rows without a value are skipped.
    model, time_window_days, pull_share, follow_up_days, backend, mapper, embedder
        See `cluster`.
    db : str or Path, optional
        A store to cache the embeddings in.
    progress : bool
        Show progress bars.
    shape : str
        The articles as given, or in another shape of `perspectives.shapes.SHAPES` (titles only, without dates or
        outlets, bare titles, summaries only): how the grouping fares where less is known of each article.
    encoding : str
        See `ingest`.

    Returns
    -------
    dict
        ``model``, ``shape``, ``skipped_without_gold`` and the scores of `metrics.grouping_report`: BCubed and
        pairwise precision, recall and F1, ARI, AMI, the numbers of stories and true stories, the share of
        single-article stories. Where `shape` leaves the articles nothing to group (titles only, of texts without
        titles), ``articles`` and ``not_measured``, the reason, in place of the scores.

    Raises
    ------
    InputError
        The file cannot be read, has no usable row or no `gold` column.
    ValueError
        `shape` is not one of `perspectives.shapes.SHAPES`.

    See Also
    --------
    evaluate_shapes : The file in every shape at once.

    Examples
    --------
    >>> from perspectives.embed import HashedWords  # no model to load: words, not meanings
    >>> from perspectives.ingest.examples import example_corpus
    >>> corpus = example_corpus()  # five articles on two events, as CSV in a new folder; `event` names each one's
    >>> scores = evaluate(corpus, gold="event", embedder=HashedWords())
    >>> scores["articles"], scores["stories"], scores["gold_stories"], scores["bcubed_f1"]
    (5, 2, 2, 1.0)
    """
    return evaluate_shapes(path, gold, [shape], model, time_window_days, pull_share, db, backend, mapper, progress,
                           embedder, encoding, follow_up_days)[0]


def evaluate_shapes(path: str | Path | pd.DataFrame, gold: str, shapes: Iterable[str] = tuple(SHAPES),
                    model: str | None = None,
                    time_window_days: float | None = 3.0, pull_share: float | None = None,
                    db: str | Path | None = None, backend: str | None = None, mapper: Mapper | None = None,
                    progress: bool = True, embedder: Embedder | None = None, encoding: str = UTF8,
                    follow_up_days: float | None = FOLLOW_UP_DAYS) -> list[dict[str, float | str]]:
    """`evaluate` in each of `shapes` (by default every shape of `perspectives.shapes.SHAPES`), the file read and
    the model loaded once: one result per shape, in the order given. A shape that would leave the articles nothing
    to group (titles only, where no article has a title) is not measured: its result says why (``not_measured``).

    Examples
    --------
    >>> from perspectives.embed import HashedWords
    >>> from perspectives.ingest.examples import example_corpus
    >>> results = evaluate_shapes(example_corpus(), gold="event", embedder=HashedWords())
    >>> [result["shape"] for result in results]
    ['as given', 'titles only', 'no dates/outlets', 'bare titles', 'summaries only']
    """
    shapes = list(shapes)
    unknown = [shape for shape in shapes if shape not in SHAPES]
    if unknown:
        raise ValueError(f"unknown shape {unknown[0]!r} (one of: {', '.join(SHAPES)})")
    loaded = load_articles(path, encoding=encoding)
    named = "the frame" if isinstance(path, pd.DataFrame) else path
    if loaded.articles.empty:
        raise InputError(f"{named}: no usable rows to evaluate")
    labels = loaded.articles["extra"].map(lambda extra: extra.get(gold))
    if labels.isna().all():
        raise InputError(f"{named}: no column {gold!r} (or it is empty)")
    articles, truth = loaded.articles[labels.notna()], labels[labels.notna()].map(str)
    embedder = embedder or Embedder(model, backend=backend)
    results: list[dict[str, float | str]] = []
    with Store(db) if db is not None else nullcontext() as store:
        for shape in shapes:
            result: dict[str, float | str] = {"model": embedder.name, "shape": shape,
                                              "skipped_without_gold": int(labels.isna().sum())}
            reason = inapplicable(shape, articles)
            if reason is not None:
                results.append({**result, "articles": len(articles), "not_measured": reason})
                continue
            shaped = SHAPES[shape](articles)
            clusterer = StoryClusterer(time_window_days=time_window_days, pull_share=pull_share,
                                       follow_up_days=follow_up_days)
            grouping = group_stories(shaped, embedder, clusterer, store=store, mapper=mapper, progress=progress)
            results.append({**result, **grouping_report(grouping.story_of(shaped), truth)})
    return results
