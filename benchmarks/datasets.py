"""Load the labelled sets in ../shared/datasets into the article schema (for measuring; never shipped)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from perspectives.ingest.schema import site_of

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


# Sets whose file is not `<name>/articles.csv`.
FILES = {"tweets": ("short_texts", "tweets.jsonl"), "semeval": ("semeval2022_task8_sample", "pairs_a.csv")}


def available(name: str) -> bool:
    folder, file = FILES.get(name, (name, "articles.csv"))
    return (SHARED / folder / file).is_file()


def neus() -> pd.DataFrame:
    """NeuS AllSides. Its `date` is the AllSides story's date, identical for every article of a story: using it
    would leak the gold grouping, so it is left out and the grouping runs on content alone."""
    raw = pd.read_csv(SHARED / "neus_allsides" / "articles.csv")
    return pd.DataFrame({
        "id": raw["doc_id"].astype(str), "outlet": raw["source"], "title": raw["title"], "text": raw["text"],
        "url": raw["url"], "country": raw["country"], "language": raw["language"], "gold": raw["cluster"].astype(str),
        "topic": raw["topic"],
    })


def newswcl50() -> pd.DataFrame:
    """NewsWCL50: no headlines; the first sentence stands in for one."""
    raw = pd.read_csv(SHARED / "newswcl50" / "articles.csv")
    return pd.DataFrame({
        "id": raw["doc_id"].astype(str), "outlet": raw["url"].map(site_of), "title": raw["first_sentence"],
        "text": raw["text"], "url": raw["url"].str.slice(0, 2000), "country": raw["country"],
        "language": raw["language"], "gold": raw["cluster"].astype(str),
    })


def meantime() -> pd.DataFrame:
    """MEANTIME: the same Wikinews articles in en, es, it, nl; gold = the parallel group."""
    raw = pd.read_csv(SHARED / "meantime" / "articles.csv")
    return pd.DataFrame({
        "id": raw["doc_id"].astype(str), "outlet": "wikinews-" + raw["language"], "title": raw["title"],
        "text": raw["text"], "language": raw["language"], "gold": raw["parallel_id"].astype(str),
        "topic": raw["topic"].str.removeprefix("corpus_"),
    })


def basil_dev() -> pd.DataFrame:
    """BASIL's dev half (2010-2014): 50 events x 3 outlets, full texts, real publication dates."""
    raw = pd.read_csv(SHARED / "basil_dev" / "articles.csv")
    return pd.DataFrame({
        "id": raw["doc_id"].astype(str), "outlet": raw["source"], "published_at": raw["date"], "title": raw["title"],
        "text": raw["text"], "url": raw["url"], "country": raw["country"], "language": raw["language"],
        "gold": raw["cluster"].astype(str),
    })


def tweets() -> pd.DataFrame:
    """MStream event tweets: lower-cased, stop words removed, no dates, no authors; the text stands as a title."""
    raw = pd.read_json(SHARED / "short_texts" / "tweets.jsonl", lines=True, dtype={"Id": str})
    return pd.DataFrame({
        "id": raw["Id"], "outlet": "twitter", "title": raw["textCleaned"], "text": "", "language": "en",
        "gold": raw["clusterNo"].astype(str),
    })


DATASETS = {"neus_allsides": neus, "newswcl50": newswcl50, "basil_dev": basil_dev, "meantime": meantime}


def semeval_pairs() -> pd.DataFrame:
    """The SemEval 2022 task 8 sample pairs that have both texts: `lang1`, `text1`, `lang2`, `text2` and `Overall`
    (1 same story .. 4 different)."""
    pairs = pd.concat([pd.read_csv(SHARED / "semeval2022_task8_sample" / f"pairs_{half}.csv") for half in "ab"])
    return pairs.dropna(subset=["text1", "text2"]).reset_index(drop=True)


def semeval_texts() -> pd.DataFrame:
    """The distinct texts of the SemEval 2022 task 8 sample pairs, with their `language` (10 languages)."""
    pairs = semeval_pairs()
    sides = [pairs[[f"lang{k}", f"text{k}"]].set_axis(["language", "text"], axis=1) for k in (1, 2)]
    return pd.concat(sides).dropna().drop_duplicates("text").reset_index(drop=True)


NEWSMTSC_LABELS = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}


def newsmtsc(split: str) -> pd.DataFrame:
    """NewsMTSC (`train`, `devtest_rw`, `devtest_mt`): one row per (sentence, target mention) with its span
    (`end` exclusive), label and `article` (sentences of one article share it: folds must keep them together)."""
    rows = []
    with open(SHARED / "newsmtsc" / f"{split}.jsonl", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            article = "_".join(record["primary_gid"].split("_")[:3])
            rows += [{"sentence": record["sentence_normalized"], "start": t["from"], "end": t["to"],
                      "mention": t["mention"], "label": NEWSMTSC_LABELS[t["polarity"]], "article": article}
                     for t in record["targets"]]
    return pd.DataFrame(rows)
