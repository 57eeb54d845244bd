"""The `perspectives` command line; each command mirrors a function in `perspectives.pipeline`."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from perspectives import pipeline
from perspectives.embed import ModelNotFound
from perspectives.ingest import InputError
from perspectives.store import DEFAULT_DB

app = typer.Typer(
    help="Group news articles from many outlets into stories and compare how each outlet frames them.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)

Db = Annotated[Path, typer.Option("--db", envvar="PERSPECTIVES_DB", help="SQLite store file.")]
Model = Annotated[Optional[str], typer.Option(
    "--model", help="Embedding model: a hub id, a folder, or a folder name under models/ "
                    "(default: first folder under models/, else the packaged all-MiniLM-L6-v2).")]
Window = Annotated[float, typer.Option(help="Articles further apart than this many days never share a story.")]
Paths = Annotated[list[Path], typer.Argument(help="Article files: .csv, .jsonl or .parquet.")]


def user_errors(command):
    """Turn expected failures into one clear line on stderr and exit code 2, not a traceback."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (InputError, ModelNotFound, RuntimeError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    return wrapper


def _echo_ingest(summary: pipeline.IngestSummary) -> None:
    typer.echo(f"loaded {summary.loaded} rows, rejected {summary.rejected}"
               + (f" (reasons in {summary.rejects_path})" if summary.rejected else "")
               + f"; store: {summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged")


def _echo_cluster(summary: pipeline.ClusterSummary) -> None:
    typer.echo(f"grouped {summary.articles} articles into {summary.stories} stories "
               f"({summary.multi_outlet_stories} with 2+ outlets, {summary.single_article_stories} single-article); "
               f"embedded {summary.newly_embedded} new texts with {summary.model}")


def _echo_report(files: dict[str, Path]) -> None:
    typer.echo("wrote " + ", ".join(str(p) for p in files.values()))


@app.command()
@user_errors
def ingest(paths: Paths, db: Db = Path(DEFAULT_DB),
           rejects: Annotated[Path, typer.Option(help="Where rejected rows go, each with its reason.")] = Path("out/rejects.csv")):
    """Validate article files and add them to the store (upsert by id: loading a file twice adds nothing)."""
    _echo_ingest(pipeline.ingest(*paths, db=db, rejects=rejects))


@app.command()
@user_errors
def cluster(db: Db = Path(DEFAULT_DB), model: Model = None, window: Window = 3.0):
    """Embed the stored articles (cached) and group them into stories, replacing the previous grouping."""
    _echo_cluster(pipeline.cluster(db=db, model=model, time_window_days=window))


@app.command()
@user_errors
def report(db: Db = Path(DEFAULT_DB),
           out: Annotated[Path, typer.Option(help="Folder for articles.csv, stories.csv, takes.csv.")] = Path("out")):
    """Write the stories, the articles with their story ids, and each story's Alternative Takes as CSV."""
    _echo_report(pipeline.report(db=db, out=out))


@app.command()
@user_errors
def run(paths: Paths, db: Db = Path(DEFAULT_DB), model: Model = None, window: Window = 3.0,
        out: Annotated[Path, typer.Option(help="Folder for the CSV report and rejects.csv.")] = Path("out")):
    """Ingest, cluster and report in one go."""
    summary = pipeline.run(*paths, db=db, out=out, model=model, time_window_days=window)
    _echo_ingest(summary.ingest)
    _echo_cluster(summary.cluster)
    _echo_report(summary.files)


@app.command(name="app")
def serve_app(db: Db = Path(DEFAULT_DB), port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
              address: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1"):
    """Serve the Streamlit app over the store."""
    script = Path(__file__).parent / "app" / "main.py"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
               "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--", "--db", str(db.resolve())]
    raise typer.Exit(subprocess.call(command))


if __name__ == "__main__":
    app()
