"""Embedding backends side by side, in one run: speed, agreement with torch fp32, and grouping quality.

For each corpus (the demo corpus always; NeuS AllSides when ../shared/datasets has it) and each backend:
articles/s of encoding alone (model loaded and warmed first), the ratio to torch fp32 measured in the same run,
the cosine of each vector to its torch fp32 vector, and BCubed F1 of StoryClusterer's grouping against gold.
All backends are loaded at once and take turns on chunks of each corpus, so the ratios survive a shared machine.

    HF_HUB_OFFLINE=1 python benchmarks/backends.py [--neus-sample 500] [--backends onnx openvino-int8]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import datasets  # noqa: E402
from perspectives.embed import Embedder  # noqa: E402
from perspectives.embed.backends import BACKENDS, native_bf16  # noqa: E402
from perspectives.metrics import grouping_report  # noqa: E402
from perspectives.stories import StoryClusterer  # noqa: E402
from perspectives.text import document  # noqa: E402

DEMO = ROOT / "data" / "demo" / "articles.jsonl"


@dataclass
class Corpus:
    articles: pd.DataFrame  # grouped as the pipeline groups them (text evidence, dates when usable)
    gold: list[str]

    @property
    def texts(self) -> list[str]:
        return [document(r) for r in self.articles.to_dict("records")]


def corpora(neus_sample: int | None = None) -> dict[str, Corpus]:
    """The demo corpus (with dates) and NeuS AllSides (content only: its dates would leak the gold stories)."""
    demo = pd.read_json(DEMO, lines=True, dtype=False)
    found = {"demo": Corpus(demo, demo["gold_story"].astype(str).tolist())}
    if datasets.available("neus_allsides"):
        neus = datasets.neus()
        if neus_sample and neus_sample < len(neus):
            neus = neus.sample(neus_sample, random_state=0).reset_index(drop=True)
        found["neus_allsides"] = Corpus(neus.assign(published_at=None), neus["gold"].tolist())
    else:
        print(f"skipping neus_allsides: {datasets.SHARED / 'neus_allsides'} is absent")
    return found


def load_warm(backend: str, model: str | None, cache_dir, warm_texts: list[str]) -> tuple[Embedder, float]:
    """The embedder, loaded (built on a cold cache) and warmed with one batch; and the seconds that took."""
    embedder = Embedder(model, backend=backend, cache_dir=cache_dir)
    start = time.perf_counter()
    embedder.encode(warm_texts[: embedder.batch_size], progress=False)
    return embedder, time.perf_counter() - start


def encode_interleaved(embedders: dict[str, Embedder], texts: list[str], chunk: int) -> dict:
    """Vectors and encoding seconds per backend. Backends take turns chunk by chunk, so a change in the machine's
    load (it is shared) falls on all of them alike instead of on whichever ran at that moment."""
    parts: dict[str, list] = {name: [] for name in embedders}
    seconds = dict.fromkeys(embedders, 0.0)
    for begin in range(0, len(texts), chunk):
        for name, embedder in embedders.items():
            start = time.perf_counter()
            parts[name].append(embedder.encode(texts[begin : begin + chunk], progress=False))
            seconds[name] += time.perf_counter() - start
    return {name: (np.vstack(parts[name]), seconds[name]) for name in embedders}


def backend_table(found: dict[str, Corpus], backends: list[str] | None = None, model: str | None = None,
                  cache_dir: str | Path | None = None, chunk: int = 128) -> pd.DataFrame:
    """One row per (corpus, backend), torch fp32 (always measured) being the reference for speed and vectors."""
    names = ["torch", *[b for b in (backends or list(BACKENDS)) if b != "torch"]]
    if "openvino-bf16" in names and not native_bf16():
        print("skipping openvino-bf16: this CPU has no native bf16")
        names.remove("openvino-bf16")
    warm_texts = next(iter(found.values())).texts
    loaded = {name: load_warm(name, model, cache_dir, warm_texts) for name in names}
    embedders = {name: embedder for name, (embedder, _) in loaded.items()}
    rows = []
    for corpus_name, corpus in found.items():
        results = encode_interleaved(embedders, corpus.texts, chunk)
        torch_vectors, torch_seconds = results["torch"]
        for name, (vectors, seconds) in results.items():
            cosine = (vectors * torch_vectors).sum(axis=1)
            labels = StoryClusterer().fit(vectors, articles=corpus.articles).labels_
            report = grouping_report(labels, corpus.gold)
            rows.append({"corpus": corpus_name, "backend": name, "articles": len(corpus.texts),
                         "articles/s": len(corpus.texts) / seconds, "x torch fp32": torch_seconds / seconds,
                         "cosine mean": float(cosine.mean()), "cosine min": float(cosine.min()),
                         "BCubed F1": report["bcubed_f1"], "stories": report["stories"],
                         "load + warm-up s": loaded[name][1]})
        print(f"{corpus_name}: done", flush=True)
    table = pd.DataFrame(rows)
    torch_f1 = table[table["backend"] == "torch"].set_index("corpus")["BCubed F1"]
    table["F1 - torch"] = table["BCubed F1"] - table["corpus"].map(torch_f1)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neus-sample", type=int, default=None, help="a random sample of NeuS (default: all)")
    parser.add_argument("--backends", nargs="*", default=None, help="which backends (default: all)")
    parser.add_argument("--cache-dir", default=None, help="where exported models live (default: models/cache)")
    parser.add_argument("--chunk", type=int, default=128, help="texts per turn when backends alternate")
    args = parser.parse_args()
    table = backend_table(corpora(args.neus_sample), args.backends, cache_dir=args.cache_dir, chunk=args.chunk)
    print(table.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
