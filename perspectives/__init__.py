"""perspectives: find the articles that cover the same event and compare how each outlet frames it.

The pipeline, one subpackage per stage: ingest -> store -> embed -> stories -> framing -> report / app.
"""

from perspectives.embed import Embedder
from perspectives.framing import FightinWords, FramingAnalyser, alternative_takes
from perspectives.ingest import InputError, load_articles
from perspectives.metrics import bcubed
from perspectives.pipeline import Grouping, cluster, evaluate, evaluate_shapes, group_stories, ingest, report, run
from perspectives.store import Store
from perspectives.stories import StoryClusterer
from perspectives.version import __version__

__all__ = [
    "Embedder", "FightinWords", "FramingAnalyser", "Grouping", "InputError", "Store", "StoryClusterer",
    "alternative_takes", "bcubed",
    "__version__", "cluster", "evaluate", "evaluate_shapes", "group_stories", "ingest", "load_articles", "report",
    "run",
]
