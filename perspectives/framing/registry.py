"""The framing analyses, one object each: its table's name and columns, how it finds its rows in one story, and
the story page's tab that shows it. Adding an analysis is a function from a `Story` to rows plus one `register`
call; the analyser, the report, the per-story cache and the app pick it up from here.

    >>> from perspectives.framing.registry import ANALYSES, Analysis, register, unregister
    >>> def exclamations(story):
    ...     return [{"story_id": story.story_id, "outlet": s["outlet"], "sentence": s["sentence"]}
    ...             for s in story.sentences if s["sentence"].endswith("!")]
    >>> _ = register(Analysis("exclamations", ["story_id", "outlet", "sentence"], exclamations, tab="Exclamations"))
    >>> "exclamations" in ANALYSES
    True
    >>> unregister("exclamations")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np


@dataclass
class Story:
    """What every analysis of one story reads. The pieces that several analyses share (the takes and terms, the
    fitted claim matcher) are computed on first use, once."""

    story_id: str
    articles: list[dict]  # in time order
    sentences: list[dict]  # `split_story` rows
    vectors: np.ndarray  # one per sentence
    cuts: list[dict]  # the articles whose later sentences were left out
    actors: list[str]
    toward: dict | None  # the target tone head's probabilities per (sentence, actor), None without a head
    prior: list[str] | None  # ids of the articles the wording is scored against (None: all given)
    counts: Any  # `corpus_counts` of the articles given
    analyser: Any  # the `FramingAnalyser`: its settings and stages

    @cached_property
    def takes_and_terms(self) -> tuple[list[dict], list[dict]]:
        from perspectives.framing.takes import story_takes

        a = self.analyser
        return story_takes(self.story_id, self.articles, self.counts, a.wording, a.n_terms, self.prior)

    @cached_property
    def matcher(self):
        from perspectives.framing.claims import ClaimMatcher

        return ClaimMatcher(**self.analyser.claims.get_params()).fit(self.sentences, self.vectors)


@dataclass(frozen=True)
class Analysis:
    """One framing analysis. `rows(story)` returns dicts with `columns` (the report's `NAME.csv`); `tab` names the
    story page's tab that shows the table (None: only in the report and the export)."""

    name: str
    columns: list[str]
    rows: Callable[[Story], list[dict]]
    tab: str | None = None

    def signature(self) -> str:
        """What identifies the analysis in the settings a cache is keyed by."""
        return f"{self.name}:{getattr(self.rows, '__module__', '')}.{getattr(self.rows, '__qualname__', '')}"


ANALYSES: dict[str, Analysis] = {}
TABLES: dict[str, list[str]] = {}  # name -> columns of every registered analysis, in registration order


def register(analysis: Analysis) -> Analysis:
    """Add (or replace) an analysis; every story analysed from now on gets its table."""
    ANALYSES[analysis.name] = analysis
    TABLES[analysis.name] = list(analysis.columns)
    return analysis


def unregister(name: str) -> None:
    ANALYSES.pop(name, None)
    TABLES.pop(name, None)
