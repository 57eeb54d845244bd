"""Stage 6: the batch report as CSV (or Parquet) files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from perspectives.store import STORY_COLUMNS

ARTICLE_COLUMNS = ["id", "story_id", "outlet", "country", "language", "published_at", "title", "url", "text",
                   "title_en", "text_en", "wire_group"]
TAKES_CSV_COLUMNS = ["story_id", "outlet", "country", "language", "headline", "lede", "distinctive_terms",
                     "headline_en", "lede_en", "article_ids", "wire_note", "also_ran"]


def articles_table(articles: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Articles with their story id first and every passed-through column spread out after the known ones."""
    extras = pd.DataFrame(list(articles["extra"]), index=articles.index)
    extras = extras[[c for c in extras.columns if c not in ARTICLE_COLUMNS]]
    table = articles.drop(columns="extra").merge(members, left_on="id", right_on="article_id", how="left")
    return pd.concat([table[ARTICLE_COLUMNS], extras.set_index(table.index)], axis=1)


def write_report(out: Path, articles: pd.DataFrame, stories: pd.DataFrame, members: pd.DataFrame,
                 framing: dict[str, pd.DataFrame], format: str = "csv") -> dict[str, Path]:
    """articles, stories and one table per framing analysis (takes, claims, terms, sources, tone, frames,
    timeline), as CSV files or, with format "parquet", as Parquet (articles partitioned by publication day)."""
    out.mkdir(parents=True, exist_ok=True)
    if format == "parquet":
        return _write_parquet(out, articles_table(articles, members), stories[STORY_COLUMNS], framing)
    if format != "csv":
        raise ValueError(f"unknown report format {format!r} (use csv or parquet)")
    takes = framing["takes"]
    takes = takes.assign(
        distinctive_terms=takes["distinctive_terms"].map("; ".join),
        article_ids=takes["article_ids"].map(" ".join),
        also_ran=takes["also_ran"].map("; ".join),
    )[TAKES_CSV_COLUMNS]
    files = {
        "articles": (articles_table(articles, members), out / "articles.csv"),
        "stories": (stories[STORY_COLUMNS], out / "stories.csv"),
        "takes": (takes, out / "takes.csv"),
        **{name: (table, out / f"{name}.csv") for name, table in framing.items() if name != "takes"},
    }
    for frame, path in files.values():
        frame.to_csv(path, index=False)
    return {name: path for name, (_, path) in files.items()}


def _write_parquet(out: Path, articles: pd.DataFrame, stories: pd.DataFrame,
                   framing: dict[str, pd.DataFrame]) -> dict[str, Path]:
    day = pd.to_datetime(articles["published_at"], utc=True, errors="coerce", format="mixed").dt.strftime("%Y-%m-%d")
    folder = out / "articles"
    shutil.rmtree(folder, ignore_errors=True)  # a partitioned write adds files: stale ones would be read back
    articles.assign(day=day.fillna("undated")).to_parquet(folder, partition_cols=["day"], index=False)
    files = {"articles": folder}
    for name, table in {"stories": stories, **framing}.items():
        files[name] = out / f"{name}.parquet"
        table.to_parquet(files[name], index=False)
    return files


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rejects.to_csv(path, index=False)
    return path
