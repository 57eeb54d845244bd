"""BASIL (Fan et al., EMNLP 2019) in ../shared/datasets/basil_dev: articles in the input schema, which of a text's
sentences overlap an annotated informational-bias span, and the annotators' feeling toward each article's main
entities (for measuring; never shipped).

Each annotation file lists phrase-level spans: `txt`, `bias` (`inf` or `lex`), and `start`/`end` offsets inside one
sentence of the article's `body-paragraphs` (`articles_json/`). A span is placed in the article's text by finding
that sentence, so a phrase repeated elsewhere in the article is not counted twice; a span in the headline (no body
sentence holds it) is placed where its text first occurs.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from benchmarks.datasets import SHARED

ROOT = SHARED / "basil_dev"


def available() -> bool:
    return (ROOT / "articles.csv").is_file()


def articles() -> pd.DataFrame:
    """The articles as `perspectives run` reads them; `gold` is the event."""
    raw = pd.read_csv(ROOT / "articles.csv")
    return pd.DataFrame({
        "id": raw["doc_id"].astype(str), "outlet": raw["source"], "title": raw["title"], "text": raw["text"],
        "published_at": raw["date"], "url": raw["url"], "language": "en", "gold": raw["cluster"].astype(str),
    })


def _annotation_files() -> dict[str, tuple]:
    """doc id -> (annotation file, article json file)."""
    return {path.name.removesuffix("_ann.json"): (path, ROOT / "articles_json" / path.parent.name /
                                                  path.name.replace("_ann.json", ".json"))
            for path in sorted((ROOT / "annotations").glob("*/*_ann.json"))}


FEELINGS = {"pos": "positive", "str-pos": "positive", "neu": "neutral", "neg": "negative", "str-neg": "negative"}


def feelings() -> pd.DataFrame:
    """The article-level `author_feeling_<entity>` annotations as rows: article_id, entity (words joined by
    spaces), feeling (positive / neutral / negative). The main event's feeling is not about an entity: left out."""
    rows = []
    for doc, (annotation_path, _) in _annotation_files().items():
        notes = json.loads(annotation_path.read_text(encoding="utf-8"))["article-level-annotations"]
        rows += [{"article_id": doc, "entity": key.removeprefix("author_feeling_").replace("_", " "),
                  "feeling": FEELINGS[value]}
                 for key, value in notes.items()
                 if key.startswith("author_feeling_") and key != "author_feeling_main_event" and value in FEELINGS]
    return pd.DataFrame(rows, columns=["article_id", "entity", "feeling"])


def spans(kind: str = "inf") -> dict[str, list[tuple[int, int]]]:
    """doc id -> (start, end) character ranges, in `articles()`' text, of the spans whose `bias` is `kind`."""
    texts = articles().set_index("id")["text"]
    found: dict[str, list[tuple[int, int]]] = {}
    for doc, (annotation_path, article_path) in _annotation_files().items():
        text = texts[doc]
        body = [s for paragraph in json.loads(article_path.read_text())["body-paragraphs"] for s in paragraph]
        ranges = found.setdefault(doc, [])
        for span in json.loads(annotation_path.read_text())["phrase-level-annotations"]:
            if span["bias"] == kind:
                at = _place(text, body, span)
                if at is not None:
                    ranges.append((at, at + len(span["txt"])))
    return found


def _place(text: str, body: list[str], span: dict) -> int | None:
    """Where a span starts in `text`: inside the body sentence its offsets point into, else its first occurrence."""
    for sentence in body:
        if sentence[span["start"]:span["end"]] == span["txt"]:
            at = text.find(sentence)
            if at >= 0:
                return at + span["start"]
    at = text.find(span["txt"])
    return at if at >= 0 else None


def overlaps(sentence: str, text: str, ranges: list[tuple[int, int]]) -> bool:
    """Whether `sentence`, as the engine split it from `text`, overlaps one of the character `ranges` of `text`
    (at any of its occurrences)."""
    at = [m.start() for m in re.finditer(re.escape(sentence), text)]
    return any(start < a + len(sentence) and a < end for a in at for start, end in ranges)
