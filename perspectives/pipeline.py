"""The pipeline as a Python API; each function mirrors one CLI command (ingest, cluster, report, run)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from perspectives.embed import Embedder, embed_articles
from perspectives.framing import FramingAnalyser
from perspectives.ingest import InputError, load_articles
from perspectives.metrics import grouping_report
from perspectives.ingest.feeds import SourcesSummary, ingest_sources
from perspectives.ingest.http import PoliteFetcher
from perspectives.ingest.sources import load_registry
from perspectives.ingest.translate import Translator
from perspectives.report import write_rejects, write_report
from perspectives.store import Store
from perspectives.stories import StoryClusterer, describe_stories
from perspectives.stories.identity import carry_over_ids
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
                  store: Store | None = None, wire: WireDetector | None = None, progress: bool = True) -> Grouping:
    """Embed articles (cached in `store` when given), group them into described stories, and mark wire copies
    (`members.wire_group`), which always share a story."""
    embedder = embedder or Embedder()
    clusterer = clusterer or StoryClusterer()
    wire = wire or WireDetector(time_window_days=clusterer.time_window_days)
    articles = articles.sort_values(["published_at", "id"], na_position="last").reset_index(drop=True)
    vectors, newly_embedded = embed_articles(articles, embedder, store=store, progress=progress)
    labels = clusterer.fit(vectors, published_at=articles["published_at"]).labels_
    copies = wire.fit(articles, vectors, graph=clusterer.graph_).groups_
    stories, members = describe_stories(articles, merge_wire_groups(labels, copies), vectors)
    members["wire_group"] = members["article_id"].map(dict(zip(articles["id"], copies)))
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


def ingest(*paths: str | Path, db: str | Path | None = None, rejects: str | Path | None = "out/rejects.csv",
           sources: str | Path | None = None, since=None, fetcher: PoliteFetcher | None = None,
           translator: Translator | None = None, progress: bool = True) -> IngestSummary:
    """Validate article files into the store (rejected rows, with reasons, go to `rejects`) and, with `sources`,
    poll the registry's feeds."""
    registry = load_registry(sources) if sources else None  # a bad registry fails before anything is written
    loaded = load_articles(*paths)
    with Store(db) as store:
        counts = store.upsert_articles(loaded.articles)
        web = ingest_sources(registry, store, fetcher=fetcher, since=since, translator=translator,
                             progress=progress) if registry else None
    rejects_path = write_rejects(loaded.rejects, rejects) if rejects and paths else None
    return IngestSummary(len(loaded.articles), len(loaded.rejects), counts.new, counts.updated, counts.unchanged,
                         str(rejects_path) if rejects_path else None, web)


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


def cluster(db: str | Path | None = None, model: str | None = None, time_window_days: float | None = 3.0,
            min_cluster_size: int = 2, progress: bool = True) -> ClusterSummary:
    """Group every stored article into stories and save them (replacing the previous grouping)."""
    embedder = Embedder(model)
    clusterer = StoryClusterer(min_cluster_size=min_cluster_size, time_window_days=time_window_days)
    params = {"model": embedder.name, **clusterer.get_params()}
    with Store(db) as store:
        articles = store.articles()
        previous = store.members()[["article_id", "story_id"]]
        run_id = store.start_run("cluster", params)
        grouping = group_stories(articles, embedder, clusterer, store=store, progress=progress)
        lineage = keep_story_ids(grouping, previous)
        summary = ClusterSummary(
            model=embedder.name, articles=len(articles), stories=len(grouping.stories),
            multi_outlet_stories=int((grouping.stories["n_outlets"] >= 2).sum()) if len(articles) else 0,
            single_article_stories=int((grouping.stories["n_articles"] == 1).sum()) if len(articles) else 0,
            wire_copies=int(grouping.members["wire_group"].notna().sum()) if len(articles) else 0,
            newly_embedded=grouping.newly_embedded, run_id=run_id, params=params,
            lineage=lineage["relation"].value_counts().to_dict(),
        )
        store.replace_stories(run_id, grouping.stories, grouping.members, asdict(summary), lineage)
    return summary


def keep_story_ids(grouping: Grouping, previous: pd.DataFrame) -> pd.DataFrame:
    """Rename this grouping's stories to the ids they keep from the previous run (in place); return the lineage."""
    mapping, lineage = carry_over_ids(grouping.members[["article_id", "story_id"]], previous)
    grouping.stories["story_id"] = grouping.stories["story_id"].map(mapping)
    grouping.members["story_id"] = grouping.members["story_id"].map(mapping)
    return lineage


def report(db: str | Path | None = None, out: str | Path = "out", progress: bool = True) -> dict[str, Path]:
    """Write the CSV report for the stored stories (see README: Output); returns the paths.

    The framing analyses embed sentences with the default model, on which their thresholds are calibrated,
    whatever model grouped the stories.
    """
    with Store(db) as store:
        articles, stories, members = store.articles(), store.stories(), store.members()
        if len(articles) and members.empty:
            raise StoreNotReady("no stories in the store yet: run `perspectives cluster` first")
        framing = FramingAnalyser(Embedder(), store=store).analyse_stories(articles, members, progress=progress)
    return write_report(Path(out), articles, stories, members, framing)


@dataclass
class RunSummary:
    ingest: IngestSummary
    cluster: ClusterSummary
    files: dict[str, Path]


def run(*paths: str | Path, db: str | Path | None = None, out: str | Path = "out", model: str | None = None,
        time_window_days: float | None = 3.0, sources: str | Path | None = None, since=None,
        fetcher: PoliteFetcher | None = None, translator: Translator | None = None, progress: bool = True) -> RunSummary:
    """Ingest (files and/or feeds), cluster and report in one go."""
    ingested = ingest(*paths, db=db, rejects=Path(out) / "rejects.csv", sources=sources, since=since,
                      fetcher=fetcher, translator=translator, progress=progress)
    clustered = cluster(db=db, model=model, time_window_days=time_window_days, progress=progress)
    return RunSummary(ingested, clustered, report(db=db, out=out, progress=progress))


def evaluate(path: str | Path, gold: str, model: str | None = None, time_window_days: float | None = 3.0,
             db: str | Path | None = None, progress: bool = True) -> dict[str, float]:
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
    embedder, clusterer = Embedder(model), StoryClusterer(time_window_days=time_window_days)
    if db is None:
        grouping = group_stories(articles, embedder, clusterer, progress=progress)
    else:
        with Store(db) as store:
            grouping = group_stories(articles, embedder, clusterer, store=store, progress=progress)
    predicted = grouping.story_of(articles)
    return {"model": embedder.name, "skipped_without_gold": int(labels.isna().sum()),
            **grouping_report(predicted, articles["extra"].map(lambda extra: str(extra[gold])))}
