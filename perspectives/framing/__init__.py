"""Stage 5: compare how each outlet frames a story (takes, claims, wording, sources, tone, frames, actors, timeline)."""

from perspectives.framing.analysis import TABLES, FramingAnalyser, StoryAnalysis
from perspectives.framing.claims import ClaimMatcher
from perspectives.framing.fightin_words import FightinWords
from perspectives.framing.frames import FRAMES, FrameScorer
from perspectives.framing.takes import TAKE_COLUMNS, alternative_takes

__all__ = ["FRAMES", "TABLES", "TAKE_COLUMNS", "ClaimMatcher", "FightinWords", "FrameScorer", "FramingAnalyser",
           "StoryAnalysis", "alternative_takes"]
