"""Distinctive wording vs. NewsWCL50's word-choice annotations.

For each event (5 outlets of different leanings) Fightin' Words ranks each article's terms against the other four.
A top term counts as a hit when all its words occur in one phrase the annotators marked in that article (actors,
actions, properties: the codebook's framing by word choice). The random baseline draws the same number of terms
from the article's own vocabulary. Reported: hit rate of the top k, ours (ranked by z times `framing_weight`, and by
z alone as before) vs random, over all 50 articles, with 95% intervals from resampling the 10 events.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from benchmarks import datasets
from perspectives.framing import FightinWords
from perspectives.text import clause_terms

WORD = re.compile(r"[a-z]+")


def _annotated_phrases() -> dict[str, list[set[str]]]:
    notes = pd.read_csv(datasets.SHARED / "newswcl50" / "annotations.csv", skiprows=1)
    notes["doc_id"] = notes["event_id"].astype(str) + "_" + notes["publisher_id"]
    return {doc: [set(WORD.findall(str(m).lower())) for m in group["code_mention"]]
            for doc, group in notes.groupby("doc_id")}


def _hit(term: str, phrases: list[set[str]]) -> bool:
    words = set(term.split())
    return any(words <= phrase for phrase in phrases)


def wording_vs_annotations(k: int = 10, seeds: int = 20) -> pd.DataFrame:
    articles = datasets.newswcl50()
    phrases = _annotated_phrases()
    scorer = FightinWords()
    background = scorer.count_terms(articles["text"])
    rates: dict[str, list[float]] = {"weighted": [], "z": [], "random": []}
    events = []
    rng = np.random.default_rng(0)
    for event_id, event in articles.groupby("gold"):
        fitted = FightinWords(**scorer.get_params()).fit(event["text"], event["id"], background=background)
        for doc in event["id"]:
            marked = phrases.get(doc, [])
            events.append(event_id)
            for name, weighted in (("weighted", True), ("z", False)):
                top = [t for t, _ in fitted.set_params(weighted=weighted).top_terms(doc, k)]
                rates[name].append(float(np.mean([_hit(t, marked) for t in top])) if top else 0.0)
            vocabulary = sorted(set(clause_terms(event.set_index("id").loc[doc, "text"], scorer.ngram_range,
                                                  frozenset(scorer.stop_words or ()))))
            draws = [rng.choice(vocabulary, size=min(k, len(vocabulary)), replace=False) for _ in range(seeds)]
            rates["random"].append(float(np.mean([np.mean([_hit(t, marked) for t in d]) for d in draws])))
    labels = {"weighted": f"Fightin' Words top {k}, ranked by z x framing weight",
              "z": f"Fightin' Words top {k}, ranked by z alone (before)",
              "random": f"random {k} terms of the article (mean of {seeds})"}
    rates["paired"] = list(np.subtract(rates["weighted"], rates["z"]))
    labels["paired"] = "difference: weighted - before (same articles)"
    return pd.DataFrame([{"method": labels[name], "share of terms inside annotated phrases": float(np.mean(found)),
                          **dict(zip(["95% CI low", "95% CI high"], event_interval(found, events)))}
                         for name, found in rates.items()])


def event_interval(values: list[float], events: list, n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of the mean of per-article `values` over events resampled with replacement."""
    frame = pd.DataFrame({"value": values, "event": events}).groupby("event")["value"].agg(["sum", "size"])
    draws = np.random.default_rng(seed).multinomial(len(frame), np.full(len(frame), 1 / len(frame)), size=n)
    means = (draws @ frame["sum"].to_numpy()) / (draws @ frame["size"].to_numpy())
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)
