"""Stage 1: bring articles in (files today) as validated rows, with a reason for every row left out."""

from perspectives.ingest.files import InputError, LoadResult, load_articles
from perspectives.ingest.schema import COLUMNS, OPTIONAL, REQUIRED

__all__ = ["COLUMNS", "OPTIONAL", "REQUIRED", "InputError", "LoadResult", "load_articles"]
