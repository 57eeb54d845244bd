"""Agreement between a predicted grouping and gold story labels."""

from __future__ import annotations

from collections import Counter

import numpy as np


def bcubed(predicted, gold) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Bagga & Baldwin 1998), averaged over items.

    Each item's precision is the share of its predicted group that shares its gold label; its recall is the share of
    its gold group that shares its predicted group. Noise must be passed as distinct single-item groups.
    """
    predicted, gold = list(predicted), list(gold)
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold must have the same length")
    if not predicted:
        return 0.0, 0.0, 0.0
    pairs = Counter(zip(predicted, gold))
    pred_sizes, gold_sizes = Counter(predicted), Counter(gold)
    precision = np.mean([pairs[(p, g)] / pred_sizes[p] for p, g in zip(predicted, gold)])
    recall = np.mean([pairs[(p, g)] / gold_sizes[g] for p, g in zip(predicted, gold)])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)
