"""Distinctive wording vs. NewsWCL50's word-choice annotations.

For each event (5 outlets of different leanings) Fightin' Words ranks each article's terms against the other four.
A top term counts as a hit when all its words occur in one phrase the annotators marked in that article (actors,
actions, properties: the codebook's framing by word choice). The random baseline draws the same number of terms
from the article's own vocabulary. Reported: hit rate of the top k, ours vs random, over all 50 articles.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from benchmarks import datasets
from perspectives.framing import FightinWords
from perspectives.framing.fightin_words import clause_ngrams

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
    ours, random_rates = [], []
    rng = np.random.default_rng(0)
    for _, event in articles.groupby("gold"):
        fitted = FightinWords(**scorer.get_params()).fit(event["text"], event["id"], background=background)
        for doc in event["id"]:
            marked = phrases.get(doc, [])
            top = [t for t, _ in fitted.top_terms(doc, k)]
            ours.append(np.mean([_hit(t, marked) for t in top]) if top else 0.0)
            vocabulary = sorted(set(clause_ngrams(event.set_index("id").loc[doc, "text"], scorer.ngram_range,
                                                  frozenset(scorer.stop_words))))
            draws = [rng.choice(vocabulary, size=min(k, len(vocabulary)), replace=False) for _ in range(seeds)]
            random_rates.append(np.mean([np.mean([_hit(t, marked) for t in d]) for d in draws]))
    return pd.DataFrame([
        {"method": f"Fightin' Words top {k}", "share of terms inside annotated phrases": float(np.mean(ours))},
        {"method": f"random {k} terms of the article (mean of {seeds})",
         "share of terms inside annotated phrases": float(np.mean(random_rates))},
    ])
