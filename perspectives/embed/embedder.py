"""Stage 3: turn articles into vectors with sentence-transformers, caching by (model, content hash)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from perspectives.embed import backends
from perspectives.embed.backends import check_backend, default_backend, quiet_libraries
from perspectives.embed.engines import SentenceEncoder
from perspectives.embed.models import ENGLISH_ONLY_MODELS, ModelNotFound, ModelSpec, model_of, resolve_model
from perspectives.embed.models import cache_dir as default_cache_dir
from perspectives.text import content_hash, document, embedded_language


class Embedder:
    """A sentence-transformers model, loaded on first use.

    `backend` picks how it runs on CPU (see `backends.BACKENDS`): `torch` as published, or an ONNX/OpenVINO export,
    int8 quantisation or a static model2vec distillation, built once under `cache_dir` (default: `models.cache_dir()`).
    Without one, `backends.default_backend` picks it.
    """

    def __init__(self, model: str | ModelSpec | None = None, batch_size: int = 32, device: str = "cpu",
                 backend: str | None = None, cache_dir: str | Path | None = None):
        self.spec = model if isinstance(model, ModelSpec) else resolve_model(model)
        self.backend = backend or default_backend(self.spec)
        check_backend(self.backend, self.spec)
        self.batch_size = batch_size
        self.device = device
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._model: SentenceEncoder | None = None

    @property
    def name(self) -> str:
        """What cached vectors are filed under: backends other than torch give slightly different vectors."""
        return self.spec.name if self.backend == "torch" else f"{self.spec.name}@{self.backend}"

    def _load(self) -> SentenceEncoder:
        if self.spec.engine is not None:
            return self.spec.engine.load()
        from sentence_transformers import SentenceTransformer

        try:
            with quiet_libraries():
                if self.backend != "torch":
                    return backends.load(self.spec, self.backend, self.cache_dir)
                return SentenceTransformer(self.spec.source, device=self.device, local_files_only=self.spec.is_local)
        except Exception as exc:  # hub and file errors come in many types; all mean "cannot use this model"
            hint = ("" if self.spec.is_local
                    else " (the model hub may be unreachable: put the model folder under models/)")
            how = f" with backend {self.backend!r}" if self.backend != "torch" else ""
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelNotFound(f"cannot load model {self.spec.source!r}{how}: {reason}{hint}") from None

    def encode(self, texts: list[str], progress: bool = True) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if self._model is None:
            self._model = self._load()
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, show_progress_bar=progress and len(texts) > 0,
            normalize_embeddings=True, convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


class EncoderAdapter:
    """Any object with `encode(texts)` returning one vector per text and a `name` (what its cached vectors are
    filed under): a SentenceTransformer you loaded, a model of your own. Vectors are made unit-length float32."""

    def __init__(self, encoder):
        if not callable(getattr(encoder, "encode", None)):
            raise TypeError(f"{type(encoder).__name__} has no encode(texts) method")
        name = getattr(encoder, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{type(encoder).__name__} needs a `name` attribute: cached vectors are filed under it")
        self.encoder = encoder
        self.name = name

    def encode(self, texts: list[str], progress: bool = True) -> np.ndarray:
        vectors = np.asarray(self.encoder.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)


def as_embedder(encoder=None) -> Embedder | EncoderAdapter:
    """The default `Embedder` for None, an `Embedder` as it is, any other encoder through `EncoderAdapter`."""
    if encoder is None:
        return Embedder()
    return encoder if isinstance(encoder, Embedder | EncoderAdapter) else EncoderAdapter(encoder)


# Texts per task when a mapper spreads encoding over workers: large enough to keep the batches full.
MAPPED_BATCH = 512


def embed_texts(texts: list[str], embedder: Embedder | EncoderAdapter, store=None, mapper=None,
                progress: bool = True) -> tuple[np.ndarray, int]:
    """Vectors for texts in order, and how many were newly encoded.

    With a store, only texts this model has not embedded before are encoded; with a mapper (see
    `perspectives.distributed`), they are encoded in batches on its workers.
    """
    hashes = [content_hash(t) for t in texts]
    cached = store.cached_embeddings(embedder.name, sorted(set(hashes))) if store is not None else {}
    todo = sorted({h: t for h, t in zip(hashes, texts) if h not in cached}.items())
    if todo:
        fresh = _encode(embedder, [t for _, t in todo], mapper, progress)
        new = {h: v for (h, _), v in zip(todo, fresh)}
        if store is not None:
            store.save_embeddings(embedder.name, new)
        cached.update(new)
    vectors = np.vstack([cached[h] for h in hashes]) if hashes else np.zeros((0, 0), dtype=np.float32)
    return vectors, len(todo)


def _encode(embedder: Embedder | EncoderAdapter, texts: list[str], mapper, progress: bool) -> np.ndarray:
    if mapper is None or not isinstance(embedder, Embedder):  # a user's encoder stays in this process
        return embedder.encode(texts, progress=progress)
    batches = [texts[i:i + MAPPED_BATCH] for i in range(0, len(texts), MAPPED_BATCH)]
    return np.vstack(mapper(encode_on_worker, batches, model=embedder.spec, backend=embedder.backend,
                            batch_size=embedder.batch_size, cache_dir=embedder.cache_dir))


_WORKER_EMBEDDERS: dict[tuple, Embedder] = {}


def encode_on_worker(texts: list[str], model: ModelSpec, backend: str, batch_size: int, cache_dir) -> np.ndarray:
    """Encode one batch where a mapper runs it; each worker process loads the model once and keeps it."""
    key = (model.name, backend, batch_size, str(cache_dir))
    if key not in _WORKER_EMBEDDERS:
        _WORKER_EMBEDDERS[key] = Embedder(model, batch_size=batch_size, backend=backend, cache_dir=cache_dir)
    return _WORKER_EMBEDDERS[key].encode(texts, progress=False)


def embed_articles(articles: pd.DataFrame, embedder: Embedder | EncoderAdapter, store=None, mapper=None,
                   progress: bool = True) -> tuple[np.ndarray, int]:
    """Article vectors (headline and body, English view) in row order, and how many were newly encoded."""
    return embed_texts(article_documents(articles), embedder, store, mapper, progress)


def article_documents(articles: pd.DataFrame) -> list[str]:
    """What is embedded for each article."""
    return [document(a) for a in articles.to_dict("records")]


def languages_read(embedder_name: str) -> frozenset[str] | None:
    """The languages whose texts a model's vectors compare across: English for a model trained on English alone
    (`ENGLISH_ONLY_MODELS`), None (all) for others."""
    return frozenset({"en"}) if model_of(embedder_name) in ENGLISH_ONLY_MODELS else None


def unread_languages(articles: pd.DataFrame, embedder_name: str) -> int:
    """How many `articles` a model that reads English only (`ENGLISH_ONLY_MODELS`) embeds in another language: not
    in English, and without an English translation. 0 for other models, and for articles of no known language."""
    read = languages_read(embedder_name)
    if read is None:
        return 0
    languages = embedded_language(articles)
    return int(np.count_nonzero(~np.isin(languages, list(read)) & (languages != "")))


def content_hashes(articles: pd.DataFrame) -> list[str]:
    """A hash per article of what is embedded: it changes exactly when the article's vector would."""
    return [content_hash(d) for d in article_documents(articles)]
