"""Stage 5: compare how each outlet frames a story (takes, claims, wording, sources, tone, frames, actors, timeline)."""

from perspectives.framing.analysis import TABLES, FramingAnalyser, StoryAnalysis
from perspectives.framing.claims import ClaimMatcher
from perspectives.framing.fightin_words import FightinWords
from perspectives.framing.frames import FRAMES, FrameScorer
from perspectives.framing.registry import ANALYSES, Analysis, Story, register, unregister
from perspectives.framing.takes import TAKE_COLUMNS, alternative_takes

__all__ = ["ANALYSES", "FRAMES", "TABLES", "TAKE_COLUMNS", "Analysis", "ClaimMatcher", "FightinWords", "FrameScorer",
           "FramingAnalyser", "Story", "StoryAnalysis", "alternative_takes", "register", "unregister"]
