"""One story's framing, all analyses together: takes, claims, wording, sources, tone, frames, actors, timeline."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from perspectives.distributed import fork_map
from perspectives.embed import Embedder, embed_texts
from perspectives.framing.actors import actor_statements, find_actors
from perspectives.framing.claims import CLAIM_COLUMNS, ClaimMatcher, min_score_for, similarity_for
from perspectives.framing.fightin_words import FightinWords, TermCounts
from perspectives.framing.frames import FRAME_COLUMNS, FrameScorer
from perspectives.framing.sentences import CUT_COLUMNS, split_story
from perspectives.framing.sources import SOURCE_COLUMNS, source_rows
from perspectives.framing.takes import TAKE_COLUMNS, TERM_COLUMNS, corpus_counts, multi_outlet_stories, story_takes
from perspectives.framing.target_tone import TargetTone
from perspectives.framing.timeline import TIMELINE_COLUMNS, timeline_rows
from perspectives.framing.tone import (MARGIN, TONE_COLUMNS, VADER_ACTOR_METHOD, WHOLE_ARTICLE, actor_mentions,
                                      tone_rows, toward_actors)
from perspectives.ingest.files import without_nan

TABLES = {"takes": TAKE_COLUMNS, "claims": CLAIM_COLUMNS, "terms": TERM_COLUMNS, "sources": SOURCE_COLUMNS,
          "tone": TONE_COLUMNS, "frames": FRAME_COLUMNS, "timeline": TIMELINE_COLUMNS, "cuts": CUT_COLUMNS}


@dataclass
class StoryAnalysis:
    """Tidy tables for one story; every finding row carries its evidence sentence."""

    story_id: str
    takes: pd.DataFrame
    claims: pd.DataFrame
    terms: pd.DataFrame
    sources: pd.DataFrame
    tone: pd.DataFrame
    frames: pd.DataFrame
    timeline: pd.DataFrame
    cuts: pd.DataFrame  # articles whose later sentences were not analysed (`split_story`)
    actors: list[str] = field(default_factory=list)
    sentences: pd.DataFrame | None = None
    claim_matrix: pd.DataFrame | None = None  # claims x outlets: sentences per outlet stating each claim

    def actor_perspective(self, actor: str) -> pd.DataFrame:
        """Per outlet: what it says `actor` said or did, beside the outlet's mean tone toward the actor."""
        statements = actor_statements(self.sentences, self.sources, actor)
        tone = (self.tone[self.tone["actor"] == actor].groupby("outlet")["tone"].mean().round(4)
                .rename("tone_toward_actor"))
        return statements.merge(tone, left_on="outlet", right_index=True, how="left")


    def per_country(self) -> dict[str, pd.DataFrame]:
        """The outlet-level findings aggregated per country: claim kinds and source kinds counted, tone and frame
        shares averaged over the country's outlets."""
        country = self.sentences.drop_duplicates("outlet").set_index("outlet")["country"]

        def with_country(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.assign(country=frame["outlet"].map(country))

        shares = (self.frames.drop_duplicates(["outlet", "frame"])
                  .pivot(index="outlet", columns="frame", values="score").reindex(country.index).fillna(0.0))
        return {
            "claims": with_country(self.claims).groupby(["country", "kind"]).size().unstack(fill_value=0),
            "sources": with_country(self.sources).groupby(["country", "kind"]).size().unstack(fill_value=0),
            "tone": with_country(self.tone).groupby(["country", "actor"])["tone"].mean().round(4).unstack(),
            "frames": shares.groupby(country).mean().round(4),
        }


class FramingAnalyser:
    """Compare outlets within stories. Each stage can be swapped through the constructor."""

    def __init__(self, embedder: Embedder | None = None, store=None, claims: ClaimMatcher | None = None,
                 wording: FightinWords | None = None, frames: FrameScorer | None = None, n_terms: int = 8,
                 actors=find_actors, n_jobs: int = -1, target_tone: TargetTone | None | str = "shipped",
                 tone_margin: float = MARGIN):
        self.embedder = embedder or Embedder()
        self.store = store
        self.claims = claims or ClaimMatcher(similarity=similarity_for(self.embedder.name),
                                             min_score=min_score_for(self.embedder.name))
        self.wording = wording or FightinWords()
        self.frames = frames or FrameScorer(self.embedder, store=store)
        self.n_terms = n_terms
        self.find_actors = actors
        self.n_jobs = n_jobs  # processes for `analyse_stories` (-1: one per core); the results do not depend on it
        # Tone toward actors: the head shipped for the embedder's model; None (or no head for it): VADER.
        self.target_tone = TargetTone.for_embedder(self.embedder) if target_tone == "shipped" else target_tone
        self.tone_margin = tone_margin

    def settings(self) -> str:
        """Everything that shapes the results, as text (what a cache of results is keyed by)."""
        return (f"{self.embedder.name}|{self.claims.get_params()}|{self.wording.get_params()}|"
                f"{self.frames.min_similarity}|{self.frames.evidence}|{self.n_terms}|"
                f"{getattr(self.find_actors, '__qualname__', self.find_actors)}"
                f"|{self._tone_method()}|{self.target_tone and self.target_tone.head.about}|{self.tone_margin}")

    def analyse_story(self, articles: pd.DataFrame, members: pd.DataFrame, story_id: str,
                      counts: TermCounts | None = None) -> StoryAnalysis:
        """One story's tables; `counts` (`corpus_counts` of `articles`) saves recounting the corpus per story."""
        found = list(multi_outlet_stories(articles, members, [story_id]))
        if not found:
            raise ValueError(f"story {story_id!r} is not covered by two or more outlets")
        counts = corpus_counts(articles, self.wording) if counts is None else counts
        sentences, cuts = split_story(found[0][1], story_id)
        vectors, _ = embed_texts([s["sentence"] for s in sentences], self.embedder, self.store, progress=False)
        actors = self.find_actors(sentences)
        toward = self._toward(actor_mentions(sentences, actors))
        tables, matcher = self._story_rows(story_id, found[0][1], counts, sentences, cuts, vectors, actors, toward)
        return StoryAnalysis(story_id=story_id, **{name: _frame(name, rows) for name, rows in tables.items()},
                             actors=actors, sentences=matcher.sentences_, claim_matrix=matcher.matrix_)

    def _toward(self, mentions: list[tuple], mapper=None) -> dict | None:
        """The target head's probabilities per (sentence, actor) of `actor_mentions` (None without a head)."""
        return toward_actors(self.target_tone, mentions, self.store, mapper) if self.target_tone else None

    def _tone_method(self) -> str:
        return f"toward actor: {self.target_tone.name}" if self.target_tone else VADER_ACTOR_METHOD

    def _story_rows(self, story_id: str, story: list[dict], counts: TermCounts, sentences: list[dict],
                    cuts: list[dict], vectors: np.ndarray, actors: list[str], toward: dict | None):
        """Each table's rows for one story (its `split_story` rows, the sentences' vectors, its actors and the
        target head's probabilities given) and the fitted claim matcher."""
        takes, terms = story_takes(story_id, story, counts, self.wording, self.n_terms)
        matcher = ClaimMatcher(**self.claims.get_params()).fit(sentences, vectors)
        tables = {"takes": takes, "claims": matcher.table_rows(), "terms": terms, "sources": source_rows(sentences),
                  "tone": tone_rows(sentences, actors, toward, self._tone_method(), self.tone_margin),
                  "frames": self.frames.rows(sentences, vectors),
                  "timeline": timeline_rows(story, story_id), "cuts": cuts}
        return tables, matcher

    def analyse_stories(self, articles: pd.DataFrame, members: pd.DataFrame, story_ids=None,
                        mapper=None, progress: bool = False) -> dict[str, pd.DataFrame]:
        """The tables of every story with two or more outlets, concatenated: takes, claims, terms, sources, tone,
        frames, timeline, cuts. All stories' sentences are embedded in one call (full batches; on `mapper`'s workers
        when given, see `perspectives.distributed`)."""
        stories = list(multi_outlet_stories(articles, members, story_ids))
        counts = corpus_counts(articles, self.wording) if stories else None
        split = [split_story(story, story_id) for story_id, story in stories]
        sentences = [own for own, _ in split]
        vectors, _ = embed_texts([s["sentence"] for own in sentences for s in own], self.embedder, self.store,
                                 mapper=mapper, progress=progress)
        starts = np.cumsum([0, *(len(own) for own in sentences)])
        # Embedded here, as the frames' centroids: the forked workers below must not use the model or the store.
        actors = [self.find_actors(own) for own in sentences]
        toward = self._toward(sorted({m for own, names in zip(sentences, actors) for m in actor_mentions(own, names)}),
                              mapper)
        if stories:
            self.frames.centroids()

        def tables(i: int) -> dict[str, list[dict]]:
            story_id, story = stories[i]
            return self._story_rows(story_id, story, counts, sentences[i], split[i][1],
                                    vectors[starts[i]:starts[i + 1]], actors[i], toward)[0]

        rows: dict[str, list[dict]] = {name: [] for name in TABLES}
        for found in fork_map(tables, len(stories), self.n_jobs, cost=[len(own) for own in sentences],
                              progress=progress, desc="Comparing outlets"):
            for name, table_rows in found.items():
                rows[name] += table_rows
        return {name: _frame(name, found) for name, found in rows.items()}


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    return without_nan(pd.DataFrame(rows, columns=TABLES[name]))


__all__ = ["FramingAnalyser", "StoryAnalysis", "TABLES", "WHOLE_ARTICLE"]
