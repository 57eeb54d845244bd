"""Load the labelled sets in ../shared/datasets into the article schema (for measuring; never shipped)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def available(name: str) -> bool:
    return (SHARED / name / "articles.csv").is_file()


def _domain(url: str) -> str:
    host = urlparse(url).netloc.lower()
    return host[4:] if host.startswith("www.") else host


def neus() -> pd.DataFrame:
    """NeuS AllSides. Its `date` is the AllSides story's date, identical for every article of a story: using it
    would leak the gold grouping, so it is left out and the grouping runs on content alone."""
    raw = pd.read_csv(SHARED / "neus_allsides" / "articles.csv")
    return pd.DataFrame({
        "id": raw["doc_id"].astype(str), "outlet": raw["source"], "title": raw["title"], "text": raw["text"],
        "url": raw["url"], "country": raw["country"], "language": raw["language"], "gold": raw["cluster"].astype(str),
    })


def newswcl50() -> pd.DataFrame:
    """NewsWCL50: no headlines; the first sentence stands in for one."""
    raw = pd.read_csv(SHARED / "newswcl50" / "articles.csv")
    return pd.DataFrame({
        "id": raw["doc_id"].astype(str), "outlet": raw["url"].map(_domain), "title": raw["first_sentence"],
        "text": raw["text"], "url": raw["url"].str.slice(0, 2000), "country": raw["country"],
        "language": raw["language"], "gold": raw["cluster"].astype(str),
    })


def meantime() -> pd.DataFrame:
    """MEANTIME: the same Wikinews articles in en, es, it, nl; gold = the parallel group."""
    raw = pd.read_csv(SHARED / "meantime" / "articles.csv")
    return pd.DataFrame({
        "id": raw["doc_id"].astype(str), "outlet": "wikinews-" + raw["language"], "title": raw["title"],
        "text": raw["text"], "language": raw["language"], "gold": raw["parallel_id"].astype(str),
    })


def basil() -> pd.DataFrame:
    """BASIL dev (2010-2014): 50 events x 3 outlets (fox, nyt, hpo); gold = the event."""
    raw = pd.read_csv(SHARED / "basil_dev" / "articles.csv")
    return pd.DataFrame({
        "id": raw["doc_id"].astype(str), "outlet": raw["source"], "title": raw["title"], "text": raw["text"],
        "url": raw["url"], "published_at": raw["date"], "country": raw["country"], "language": raw["language"],
        "gold": raw["cluster"].astype(str),
    })


FEELINGS = {"pos": "positive", "str-pos": "positive", "neu": "neutral", "neg": "negative", "str-neg": "negative"}


def basil_feelings() -> pd.DataFrame:
    """BASIL dev's article-level `author_feeling_<entity>` as rows: article_id, entity (words joined by spaces),
    feeling (positive / neutral / negative). The main event's feeling is not about an entity and is left out."""
    rows = []
    for path in sorted((SHARED / "basil_dev" / "annotations").glob("*/*_ann.json")):
        notes = json.loads(path.read_text(encoding="utf-8"))["article-level-annotations"]
        rows += [{"article_id": path.name.removesuffix("_ann.json"), "entity": key[len("author_feeling_"):]
                  .replace("_", " "), "feeling": FEELINGS[value]}
                 for key, value in notes.items()
                 if key.startswith("author_feeling_") and key != "author_feeling_main_event" and value in FEELINGS]
    return pd.DataFrame(rows, columns=["article_id", "entity", "feeling"])


DATASETS = {"neus_allsides": neus, "newswcl50": newswcl50, "meantime": meantime}


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
