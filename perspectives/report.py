"""Stage 6: the batch report as CSV files."""

from __future__ import annotations

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
                 framing: dict[str, pd.DataFrame]) -> dict[str, Path]:
    """articles.csv, stories.csv and one CSV per framing table (takes, claims, terms, sources, tone, frames,
    timeline)."""
    out.mkdir(parents=True, exist_ok=True)
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


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rejects.to_csv(path, index=False)
    return path
