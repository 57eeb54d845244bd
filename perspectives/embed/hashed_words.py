"""A model-free encoder: hashed word counts, for examples, smoke tests and machines that cannot load a model."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer


class HashedWords:
    """Each text as its hashed word counts, L2-normalised (scikit-learn's `HashingVectorizer`).

    There is no model to load, so it runs anywhere at once; it matches words, not meanings, so it groups
    same-language reports that share their words and nothing else. Pass it wherever an embedder is taken.

    Examples
    --------
    >>> HashedWords(8).encode(["Quake in Izmir", "Izmir quake"]).round(2)
    array([[ 0.58,  0.58,  0.  ,  0.  ,  0.  , -0.58,  0.  ,  0.  ],
           [ 0.71,  0.  ,  0.  ,  0.  ,  0.  , -0.71,  0.  ,  0.  ]],
          dtype=float32)
    """

    def __init__(self, n_features: int = 512):
        self.n_features = n_features
        self.name = f"hashed-words-{n_features}"  # vectors are cached under the name: one per size

    def encode(self, texts) -> np.ndarray:
        vectorizer = HashingVectorizer(n_features=self.n_features)
        return vectorizer.transform(list(texts)).toarray().astype(np.float32)
