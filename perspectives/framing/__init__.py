"""Stage 5: compare how each outlet frames a story."""

from perspectives.framing.fightin_words import FightinWords
from perspectives.framing.takes import TAKE_COLUMNS, alternative_takes

__all__ = ["TAKE_COLUMNS", "FightinWords", "alternative_takes"]
