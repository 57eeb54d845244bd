"""Stage 3: embeddings. Swap the model with `Embedder(model=...)`; see models/README.md for resolution."""

from perspectives.embed.embedder import Embedder, content_hashes, embed_articles, embed_texts
from perspectives.embed.models import ModelNotFound, ModelSpec, resolve_model

__all__ = ["Embedder", "ModelNotFound", "ModelSpec", "content_hashes", "embed_articles", "embed_texts", "resolve_model"]
