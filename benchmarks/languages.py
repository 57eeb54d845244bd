"""How often language detection misreads short texts, reading each alone or with the file's languages as a prior.

`detect_languages` weighs each language's confidence by its share of the file raised to `prior_exponent`. Each
case is one file of short texts with known languages; a case's score is the mean of its misread rate and its mean
misread rate per language (so that a file's rare languages count as much as its main one). The exponent is chosen
leaving one case out. Run: `python benchmarks/languages.py` (about three minutes; the labelled sets in ../shared are
used where present, the demo always).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import datasets  # noqa: E402
from benchmarks.grouping import demo  # noqa: E402
from perspectives.ingest.files import NEWS_LANGUAGES  # noqa: E402
from perspectives.ingest.normalise import (  # noqa: E402
    EVIDENT_CONFIDENCE,
    PRIOR_EXPONENT,
    detect_languages,
    language_confidences,
)
from perspectives.shapes import bare  # noqa: E402
from perspectives.text import lede  # noqa: E402

EXPONENTS = (0.0, 0.25, 0.5, 0.75, 1.0)
# Texts of each other language beside one main language, in the cases where one language makes most of the file.
FEW = 20


def one_language_mostly(texts: pd.DataFrame, main: str) -> pd.DataFrame:
    """All of `main`'s texts and FEW of each other language's."""
    others = texts[texts["language"] != main].groupby("language").sample(n=FEW, random_state=0)
    return pd.concat([texts[texts["language"] == main], others])


def cases() -> dict[str, pd.DataFrame]:
    """Files of short texts (`text`) with their true `language`."""
    found = {}
    titles = demo()[["title", "language"]].rename(columns={"title": "text"})
    found["demo titles"] = titles
    found["demo bare titles"] = titles.assign(text=titles["text"].map(bare))
    if datasets.available("semeval"):
        texts = datasets.semeval_texts()
        first = texts.assign(text=[lede(text, language, n=1)[:300] for text, language in
                                   zip(texts["text"], texts["language"])])
        found["SemEval first sentences"] = first
        found["SemEval ten words, lower-cased"] = texts.assign(text=texts["text"].map(
            lambda text: " ".join(text.split()[:10]).lower()))
        for main in ("en", "de", "es"):
            found[f"SemEval first sentences, mostly {main}"] = one_language_mostly(first, main)
    if datasets.available("meantime"):
        meantime = datasets.meantime()[["title", "language"]].rename(columns={"title": "text"})
        found["MEANTIME titles"] = meantime
        found["MEANTIME bare titles"] = meantime.assign(text=meantime["text"].map(bare))
    if datasets.available("tweets"):
        found["event tweets (5,000)"] = datasets.tweets().sample(n=5000, random_state=0)[["title", "language"]].rename(
            columns={"title": "text"})
    return found


def misread_rows(found: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for name, texts in found.items():
        # As `fill_languages` reads a title-only row.
        read = [f"{text}. " for text in texts["text"]]
        truth = texts["language"].to_numpy(dtype=object)
        for exponent in EXPONENTS:
            wrong = np.asarray(detect_languages(read, set(NEWS_LANGUAGES), prior_exponent=exponent),
                               dtype=object) != truth
            per_language = pd.Series(wrong).groupby(truth).mean()
            rows.append({"case": name, "exponent": exponent, "misread": wrong.mean(),
                         "per language": per_language.mean(), "worst language": per_language.max()})
    table = pd.DataFrame(rows)
    return table.assign(score=(table["misread"] + table["per language"]) / 2)


def outside_rows(found: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """How often lingua, over all its languages, reads a text first as a language outside the candidates (every
    case's languages are among them), and the most texts of one such language read with EVIDENT_CONFIDENCE."""
    rows = []
    for name, texts in found.items():
        codes, confidence = language_confidences([f"{text}. " for text in texts["text"]])
        first = np.asarray(codes, dtype=object)[confidence.argmax(axis=1)]
        outside = ~np.isin(first, sorted(NEWS_LANGUAGES))
        confident = pd.Series(first[outside & (confidence.max(axis=1) >= EVIDENT_CONFIDENCE)])
        rows.append({"case": name, "read first outside": outside.mean(),
                     "of them confidently": (outside & (confidence.max(axis=1) >= EVIDENT_CONFIDENCE)).sum(),
                     "most confident texts in one such language": confident.value_counts().max() if len(confident)
                     else 0})
    return pd.DataFrame(rows)


def leave_one_case_out(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for case in table["case"].unique():
        rest = table[table["case"] != case].groupby("exponent")["score"].mean()
        chosen = rest.idxmin()
        held = table[(table["case"] == case) & (table["exponent"] == chosen)].iloc[0]
        rows.append({"left out": case, "chosen exponent": chosen, "its misread": held["misread"],
                     "its per language": held["per language"]})
    return pd.DataFrame(rows)


def main() -> None:
    found = cases()
    print(f"languages outside the candidates, read first by lingua over all its languages (confidently: at least "
          f"{EVIDENT_CONFIDENCE})")
    print(outside_rows(found).round(4).to_string(index=False))
    table = misread_rows(found)
    for column in ("misread", "per language", "worst language"):
        print(f"\n{column} (exponent 0 reads each text alone; shipped: {PRIOR_EXPONENT})")
        print(table.pivot(index="case", columns="exponent", values=column).round(4).to_string())
    print("\nmean score over the cases")
    print(table.groupby("exponent")["score"].mean().round(4).to_string())
    print("\nleaving one case out")
    print(leave_one_case_out(table).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
