"""Stage 1: bring articles in (files, feeds, any `Source`) as validated rows, with a reason for every row left out."""

from perspectives.ingest.files import (
    Articles,
    FileSource,
    FrameSource,
    InputError,
    LoadResult,
    Source,
    load_articles,
)
from perspectives.ingest.schema import COLUMNS, OPTIONAL, REQUIRED

__all__ = ["COLUMNS", "OPTIONAL", "REQUIRED", "Articles", "FileSource", "FrameSource", "InputError", "LoadResult",
           "Source", "load_articles"]
