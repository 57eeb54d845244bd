"""One story's framing, all analyses together: takes, claims, wording, sources, tone, frames, actors, timeline."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from tqdm.auto import tqdm

from perspectives.embed import Embedder, embed_texts
from perspectives.framing.actors import actor_statements, find_actors
from perspectives.framing.claims import CLAIM_COLUMNS, ClaimMatcher, similarity_for
from perspectives.framing.fightin_words import FightinWords
from perspectives.framing.frames import FRAME_COLUMNS, FrameScorer
from perspectives.framing.sentences import sentence_table
from perspectives.framing.sources import SOURCE_COLUMNS, source_table
from perspectives.framing.takes import TAKE_COLUMNS, TERM_COLUMNS, multi_outlet_stories, story_takes
from perspectives.framing.timeline import TIMELINE_COLUMNS, timeline_table
from perspectives.framing.tone import TONE_COLUMNS, WHOLE_ARTICLE, tone_table
from perspectives.ingest.files import without_nan
from perspectives.text import document

TABLES = {"takes": TAKE_COLUMNS, "claims": CLAIM_COLUMNS, "terms": TERM_COLUMNS, "sources": SOURCE_COLUMNS,
          "tone": TONE_COLUMNS, "frames": FRAME_COLUMNS, "timeline": TIMELINE_COLUMNS}


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
                 actors=find_actors):
        self.embedder = embedder or Embedder()
        self.store = store
        self.claims = claims or ClaimMatcher(similarity=similarity_for(self.embedder.name))
        self.wording = wording or FightinWords()
        self.frames = frames or FrameScorer(self.embedder, store=store)
        self.n_terms = n_terms
        self.find_actors = actors

    def settings(self) -> str:
        """Everything that shapes the results, as text (what a cache of results is keyed by)."""
        return (f"{self.embedder.name}|{self.claims.get_params()}|{self.wording.get_params()}|"
                f"{self.frames.min_similarity}|{self.frames.evidence}|{self.n_terms}|{getattr(self.find_actors, '__qualname__', self.find_actors)}")

    def analyse_story(self, articles: pd.DataFrame, members: pd.DataFrame, story_id: str,
                      background: pd.Series | None = None) -> StoryAnalysis:
        found = list(multi_outlet_stories(articles, members, [story_id]))
        if not found:
            raise ValueError(f"story {story_id!r} is not covered by two or more outlets")
        if background is None:
            background = self.wording.background_counts(document(a) for a in articles.to_dict("records"))
        return self._analyse(story_id, found[0][1], background)

    def _analyse(self, story_id: str, story: pd.DataFrame, background: pd.Series) -> StoryAnalysis:
        takes, terms = story_takes(story_id, story, background, self.wording, self.n_terms)
        sentences = sentence_table(story, story_id)
        vectors, _ = embed_texts(list(sentences["sentence"]), self.embedder, self.store, progress=False)
        matcher = ClaimMatcher(**self.claims.get_params()).fit(sentences, vectors)
        sources = source_table(sentences)
        actors = self.find_actors(sentences)
        return StoryAnalysis(
            story_id=story_id,
            takes=without_nan(pd.DataFrame(takes, columns=TAKE_COLUMNS)),
            claims=matcher.table(),
            terms=pd.DataFrame(terms, columns=TERM_COLUMNS),
            sources=sources,
            tone=tone_table(sentences, actors),
            frames=self.frames.table(sentences, vectors),
            timeline=timeline_table(story, story_id),
            actors=actors,
            sentences=matcher.sentences_,
            claim_matrix=matcher.matrix_,
        )

    def analyse_stories(self, articles: pd.DataFrame, members: pd.DataFrame, story_ids=None,
                        progress: bool = False) -> dict[str, pd.DataFrame]:
        """The tables of every story with two or more outlets, concatenated: takes, claims, terms, sources, tone,
        frames, timeline."""
        stories = list(multi_outlet_stories(articles, members, story_ids))
        background = self.wording.background_counts(document(a) for a in articles.to_dict("records")) \
            if stories else None
        parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
        for story_id, story in tqdm(stories, desc="Comparing outlets", unit="story", disable=not progress):
            analysis = self._analyse(story_id, story, background)
            for name in TABLES:
                parts[name].append(getattr(analysis, name))
        return {name: without_nan(pd.concat(frames, ignore_index=True)) if frames
                else pd.DataFrame(columns=TABLES[name]) for name, frames in parts.items()}


__all__ = ["FramingAnalyser", "StoryAnalysis", "TABLES", "WHOLE_ARTICLE"]
