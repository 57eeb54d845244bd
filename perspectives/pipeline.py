"""The pipeline as a Python API; each function mirrors one CLI command (ingest, cluster, report, run)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from perspectives import __version__
from perspectives.distributed import Mapper
from perspectives.embed import Embedder, content_hashes, embed_articles
from perspectives.framing import FramingAnalyser
from perspectives.ingest import InputError, load_articles
from perspectives.metrics import grouping_report
from perspectives.ingest.feeds import SourcesSummary, ingest_sources
from perspectives.ingest.http import PoliteFetcher
from perspectives.ingest.sources import load_registry
from perspectives.ingest.translate import TranslationLog, Translator, translate_articles
from perspectives.report import write_rejects, write_report
from perspectives.store import Store
from perspectives.stories import StoryClusterer, describe_stories
from perspectives.stories.identity import carry_over_ids
from perspectives.stories.incremental import regroup_scope
from perspectives.stories.neighbours import day_numbers
from perspectives.stories.wire import WireDetector, merge_wire_groups


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

    def story_of(self, articles: pd.DataFrame) -> pd.Series:
        """The story id of each article, aligned with `articles`."""
        return articles["id"].map(self.members.set_index("article_id")["story_id"])


def group_stories(articles: pd.DataFrame, embedder: Embedder | None = None, clusterer: StoryClusterer | None = None,
                  store: Store | None = None, wire: WireDetector | None = None, mapper: Mapper | None = None,
                  progress: bool = True) -> Grouping:
    """Embed articles (cached in `store` when given), group them into described stories, and mark wire copies
    (`members.wire_group`), which always share a story. `mapper` runs embedding and the neighbour search on a
    cluster (see `perspectives.distributed`)."""
    embedder = embedder or Embedder()
    clusterer = clusterer or StoryClusterer()
    wire = wire or WireDetector(time_window_days=clusterer.time_window_days)
    articles = articles.sort_values(["published_at", "id"], na_position="last").reset_index(drop=True)
    vectors, newly_embedded = embed_articles(articles, embedder, store=store, mapper=mapper, progress=progress)
    labels = clusterer.fit(vectors, articles=articles, mapper=mapper).labels_
    copies = wire.fit(articles, vectors, graph=clusterer.graph_).groups_
    stories, members = describe_stories(articles, merge_wire_groups(labels, copies), vectors)
    members["wire_group"] = members["article_id"].map(dict(zip(articles["id"], copies)))
    members["content_hash"] = members["article_id"].map(dict(zip(articles["id"], content_hashes(articles))))
    return Grouping(articles, vectors, stories, members, newly_embedded)


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


def ingest(*paths: str | Path, db: str | Path | None = None, rejects: str | Path | None = "out/rejects.csv",
           sources: str | Path | None = None, since=None, fetcher: PoliteFetcher | None = None,
           translator: Translator | None = None, progress: bool = True,
           allow_private: Iterable[str] = ()) -> IngestSummary:
    """Validate article files into the store (rejected rows, with reasons, go to `rejects`) and, with `sources`,
    poll the registry's feeds. A `translator` fills title_en / text_en of non-English articles that have none.

    The feeds are fetched with `fetcher`, else a default `PoliteFetcher` that may contact the non-public addresses
    of the HOST[:PORT] entries in `allow_private` (and $PERSPECTIVES_ALLOW_PRIVATE); public addresses only without.
    """
    if fetcher is not None and allow_private:
        raise ValueError("give allow_private to the PoliteFetcher passed as fetcher")
    registry = load_registry(sources) if sources else None  # a bad registry fails before anything is written
    if registry and fetcher is None:
        fetcher = PoliteFetcher(allow_private=allow_private)  # so do bad allow_private entries
    loaded = load_articles(*paths)
    log = TranslationLog(translator) if translator is not None else None
    articles = translate_articles(loaded.articles, log) if log is not None else loaded.articles
    with Store(db) as store:
        counts = store.upsert_articles(articles)
        web = ingest_sources(registry, store, fetcher=fetcher, since=since, translator=log,
                             progress=progress) if registry else None
    rejects_path = write_rejects(loaded.rejects, rejects) if rejects and paths else None
    return IngestSummary(len(loaded.articles), len(loaded.rejects), counts.new, counts.updated, counts.unchanged,
                         str(rejects_path) if rejects_path else None, web, log)


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


def cluster(db: str | Path | None = None, model: str | None = None, time_window_days: float | None = 3.0,
            min_cluster_size: int = 2, full: bool = False, backend: str | None = None, mapper: Mapper | None = None,
            embedder: Embedder | None = None, progress: bool = True) -> ClusterSummary:
    """Group the stored articles into stories and save them.

    Only new and changed articles, the articles published within the time window of them and the stories those
    are in are grouped again; other stories stay as they are. `full` (or changed parameters) regroups everything.
    Story ids carry over either way (see `stories.identity`). `backend` runs the model on another engine (see
    `embed.backends`). An `embedder` given (e.g. already loaded) replaces `model` and `backend`.
    """
    embedder = embedder or Embedder(model, backend=backend)
    clusterer = StoryClusterer(min_cluster_size=min_cluster_size, time_window_days=time_window_days)
    params = {"model": embedder.name, **clusterer.get_params()}
    with Store(db) as store:
        articles = store.articles()
        previous = store.members()
        if full or not store.same_params("cluster", params):
            scope = np.ones(len(articles), dtype=bool)
        else:
            scope = _regroup_scope(articles, previous, time_window_days)
        mode = "unchanged" if not scope.any() else "full" if scope.all() else "incremental"
        with store.recording_run("cluster", params) as run_id:
            grouping = group_stories(articles[scope], embedder, clusterer, store=store, mapper=mapper,
                                     progress=progress)
            touched = previous["article_id"].isin(articles["id"][scope])
            lineage = keep_story_ids(grouping, previous[touched], reserved=set(previous["story_id"][~touched]))
            kept = previous[~previous["story_id"].isin(previous["story_id"][touched])]
            stories = pd.concat([store.stories().pipe(lambda s: s[s["story_id"].isin(kept["story_id"])]),
                                 grouping.stories], ignore_index=True)
            members = pd.concat([kept, grouping.members], ignore_index=True)
            summary = ClusterSummary(
                model=embedder.name, articles=len(articles), stories=len(stories),
                multi_outlet_stories=int((stories["n_outlets"] >= 2).sum()),
                single_article_stories=int((stories["n_articles"] == 1).sum()),
                wire_copies=int(members["wire_group"].notna().sum()),
                newly_embedded=grouping.newly_embedded, run_id=run_id, params=params,
                lineage=lineage["relation"].value_counts().to_dict(), mode=mode, regrouped=int(scope.sum()),
            )
            if mode == "unchanged":
                store.finish_run(run_id, asdict(summary))
            else:
                store.replace_stories(run_id, stories, members, asdict(summary), lineage)
    return summary


def _regroup_scope(articles: pd.DataFrame, previous: pd.DataFrame, window: float | None) -> np.ndarray:
    grouped_as = articles["id"].map(previous.set_index("article_id")["content_hash"])
    changed = (grouped_as != pd.Series(content_hashes(articles), index=articles.index)).to_numpy()
    return regroup_scope(articles["id"], day_numbers(articles["published_at"], len(articles)), changed, previous,
                         window)


def keep_story_ids(grouping: Grouping, previous: pd.DataFrame, reserved: set[str] = frozenset()) -> pd.DataFrame:
    """Rename this grouping's stories to the ids they keep from the previous run (in place); return the lineage.
    `reserved` ids belong to stories outside this grouping and are never given out."""
    mapping, lineage = carry_over_ids(grouping.members[["article_id", "story_id"]],
                                      previous[["article_id", "story_id"]], reserved)
    grouping.stories["story_id"] = grouping.stories["story_id"].map(mapping)
    grouping.members["story_id"] = grouping.members["story_id"].map(mapping)
    return lineage


def report(db: str | Path | None = None, out: str | Path = "out", format: str = "csv",
           embedder: Embedder | None = None, mapper: Mapper | None = None, progress: bool = True) -> dict[str, Path]:
    """Write the report for the stored stories (see README: Output); returns the paths.

    The framing analyses embed sentences with the packaged model, on which their thresholds are calibrated,
    whatever model grouped the stories: `embedder` (see `framing_embedder`), else its default backend. Their tables
    are kept in the store: while the articles and stories are unchanged, a new report reuses them. With `mapper`
    the sentences are embedded on its workers.
    """
    with Store(db) as store:
        articles, stories, members = store.articles(), store.stories(), store.members()
        if len(articles) and members.empty:
            raise StoreNotReady("no stories in the store yet: run `perspectives cluster` first")
        analyser = FramingAnalyser(embedder or Embedder(), store=store)
        fingerprint = framing_fingerprint(articles, members, analyser)
        framing = store.cached_framing(fingerprint)
        if framing is None:
            framing = analyser.analyse_stories(articles, members, mapper=mapper, progress=progress)
            store.save_framing(fingerprint, framing)
    return write_report(Path(out), articles, stories, members, framing, format=format)


def framing_fingerprint(articles: pd.DataFrame, members: pd.DataFrame, analyser: FramingAnalyser) -> str:
    """Changes whenever an article, a story membership, the analyser's settings or this version do."""
    digest = hashlib.sha256(f"{__version__}|{analyser.settings()}".encode())
    digest.update(pd.util.hash_pandas_object(articles.drop(columns="extra").astype(str), index=False).to_numpy())
    digest.update(pd.util.hash_pandas_object(members.astype(str), index=False).to_numpy())
    return digest.hexdigest()


@dataclass
class RunSummary:
    ingest: IngestSummary
    cluster: ClusterSummary
    files: dict[str, Path]


def run(*paths: str | Path, db: str | Path | None = None, out: str | Path = "out", model: str | None = None,
        time_window_days: float | None = 3.0, sources: str | Path | None = None, since=None,
        fetcher: PoliteFetcher | None = None, translator: Translator | None = None, format: str = "csv",
        backend: str | None = None, mapper: Mapper | None = None, progress: bool = True,
        allow_private: Iterable[str] = ()) -> RunSummary:
    """Ingest (files and/or feeds), cluster and report in one go (`allow_private`: see `ingest`)."""
    ingested = ingest(*paths, db=db, rejects=Path(out) / "rejects.csv", sources=sources, since=since,
                      fetcher=fetcher, translator=translator, progress=progress, allow_private=allow_private)
    embedder = Embedder(model, backend=backend)
    clustered = cluster(db=db, time_window_days=time_window_days, mapper=mapper, embedder=embedder,
                        progress=progress)
    return RunSummary(ingested, clustered, report(db=db, out=out, format=format, embedder=framing_embedder(embedder),
                                                  mapper=mapper, progress=progress))


def framing_embedder(grouping_embedder: Embedder) -> Embedder:
    """The framing's model: the packaged one, on which its thresholds are calibrated. The grouping's own instance
    when it runs that model on any backend but `static` (one vector per token, too coarse for sentences), so a run
    loads the model once and a chosen backend holds for the framing too."""
    default = Embedder()
    same_model = grouping_embedder.spec == default.spec and grouping_embedder.backend != "static"
    return grouping_embedder if same_model else default


def evaluate(path: str | Path, gold: str, model: str | None = None, time_window_days: float | None = 3.0,
             db: str | Path | None = None, backend: str | None = None, mapper: Mapper | None = None,
             progress: bool = True) -> dict[str, float]:
    """Group a labelled file's articles and score the grouping against its `gold` column (see `grouping_report`).

    Nothing is stored but, with `db`, embeddings are cached there so a second evaluation embeds nothing.
    """
    loaded = load_articles(path)
    if loaded.articles.empty:
        raise InputError(f"{path}: no usable rows to evaluate")
    labels = loaded.articles["extra"].map(lambda extra: extra.get(gold))
    if labels.isna().all():
        raise InputError(f"{path}: no column {gold!r} (or it is empty)")
    articles = loaded.articles[labels.notna()]
    embedder, clusterer = Embedder(model, backend=backend), StoryClusterer(time_window_days=time_window_days)
    with Store(db) if db is not None else nullcontext() as store:
        grouping = group_stories(articles, embedder, clusterer, store=store, mapper=mapper, progress=progress)
    predicted = grouping.story_of(articles)
    return {"model": embedder.name, "skipped_without_gold": int(labels.isna().sum()),
            **grouping_report(predicted, articles["extra"].map(lambda extra: str(extra[gold])))}
