"""Stage 3: embeddings. Swap the model with `Embedder(model=...)` (see models/README.md for resolution), or pass
any object with `encode(texts)` and `name` where an embedder is taken."""

from perspectives.embed.embedder import (
    Embedder,
    EncoderAdapter,
    as_embedder,
    content_hashes,
    embed_articles,
    embed_texts,
    languages_read,
    unread_languages,
)
from perspectives.embed.hashed_words import HashedWords
from perspectives.embed.models import ModelNotFound, ModelSpec, resolve_model

__all__ = ["Embedder", "EncoderAdapter", "HashedWords", "ModelNotFound", "ModelSpec", "as_embedder", "content_hashes",
           "embed_articles", "embed_texts", "languages_read", "resolve_model", "unread_languages"]
