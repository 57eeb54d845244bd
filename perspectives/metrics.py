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
    per_item = bcubed_per_item(predicted, gold)
    if not len(per_item[0]):
        return 0.0, 0.0, 0.0
    precision, recall = (float(values.mean()) for values in per_item)
    return precision, recall, float(_f1(precision, recall))


def bcubed_per_item(predicted, gold) -> tuple[np.ndarray, np.ndarray]:
    """Each item's BCubed precision and recall (`bcubed` averages them)."""
    predicted, gold = list(predicted), list(gold)
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold must have the same length")
    pairs = Counter(zip(predicted, gold))
    pred_sizes, gold_sizes = Counter(predicted), Counter(gold)
    precision = np.array([pairs[(p, g)] / pred_sizes[p] for p, g in zip(predicted, gold)], dtype=float)
    recall = np.array([pairs[(p, g)] / gold_sizes[g] for p, g in zip(predicted, gold)], dtype=float)
    return precision, recall


def bcubed_margin_interval(predicted, other, gold, draws: int = 2000, level: float = 0.95,
                           seed: int = 0) -> tuple[float, float]:
    """Percentile interval of BCubed F1 of `predicted` less that of `other` over gold stories drawn with replacement.

    The stories are what is drawn (a cluster bootstrap): articles of one story are grouped together or not together,
    so they are not independent draws. Each item keeps the precision and recall it has on the whole set; a draw
    weighs them by how often their story was drawn. An interval that holds 0 says the two groupings' difference is
    within what another draw of the same kind of stories could move.
    """
    stories, story_of = np.unique(np.asarray(list(gold), dtype=str), return_inverse=True)
    per_story = np.array([np.bincount(story_of, weights=values, minlength=len(stories))
                          for values in (*bcubed_per_item(predicted, gold), *bcubed_per_item(other, gold),
                                         np.ones(len(story_of)))])
    counts = np.random.default_rng(seed).multinomial(len(stories), np.full(len(stories), 1 / len(stories)),
                                                     size=draws)
    sums = counts @ per_story.T  # draws x (precision, recall of each grouping, articles)
    means = sums[:, :4] / sums[:, 4:]
    margins = _f1(means[:, 0], means[:, 1]) - _f1(means[:, 2], means[:, 3])
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(margins, [tail, 100 - tail])
    return float(low), float(high)


def _f1(precision, recall):
    """Harmonic mean of precision and recall (0 where both are), of numbers or arrays alike."""
    total = np.asarray(precision + recall, dtype=float)
    return np.divide(2 * np.asarray(precision * recall, dtype=float), total, out=np.zeros_like(total),
                     where=total > 0)


def pairwise(predicted, gold) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1: over all pairs of items, does sharing a predicted group match sharing a
    gold group? With no predicted (or gold) pairs, precision (or recall) is 1 by convention."""
    pairs = Counter(zip(predicted, gold))
    both = sum(n * (n - 1) / 2 for n in pairs.values())
    predicted_pairs = sum(n * (n - 1) / 2 for n in Counter(predicted).values())
    gold_pairs = sum(n * (n - 1) / 2 for n in Counter(gold).values())
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / gold_pairs if gold_pairs else 1.0
    return float(precision), float(recall), float(_f1(precision, recall))


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
