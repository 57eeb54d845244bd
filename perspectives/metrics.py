"""Agreement between a predicted grouping and gold story labels."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score


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


def pairwise(predicted, gold) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1: over all pairs of items, does sharing a predicted group match sharing a
    gold group? With no predicted (or gold) pairs, precision (or recall) is 1 by convention."""
    pairs = Counter(zip(predicted, gold))
    both = sum(n * (n - 1) / 2 for n in pairs.values())
    predicted_pairs = sum(n * (n - 1) / 2 for n in Counter(predicted).values())
    gold_pairs = sum(n * (n - 1) / 2 for n in Counter(gold).values())
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / gold_pairs if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)


def grouping_report(predicted, gold) -> dict[str, float]:
    """Every agreement measure the evaluate command prints, plus the shape of the predicted grouping."""
    predicted, gold = list(predicted), list(gold)
    b_precision, b_recall, b_f1 = bcubed(predicted, gold)
    p_precision, p_recall, p_f1 = pairwise(predicted, gold)
    sizes = Counter(predicted)
    return {
        "articles": len(predicted),
        "bcubed_precision": b_precision, "bcubed_recall": b_recall, "bcubed_f1": b_f1,
        "pairwise_precision": p_precision, "pairwise_recall": p_recall, "pairwise_f1": p_f1,
        "ari": float(adjusted_rand_score(gold, predicted)),
        "ami": float(adjusted_mutual_info_score(gold, predicted)),
        "stories": len(sizes), "gold_stories": len(set(gold)),
        "single_article_share": sum(1 for n in sizes.values() if n == 1) / len(sizes) if sizes else 0.0,
    }
