"""Stable story ids across runs: a story keeps its id as articles join it, and when stories merge or split the
larger side keeps the id. Every run records how its stories descend from the previous run's (the lineage)."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from perspectives.text import short_id

LINEAGE_COLUMNS = ["story_id", "parent_story_id", "relation", "shared_articles"]


def carry_over_ids(members: pd.DataFrame, previous: pd.DataFrame,
                   reserved: Collection[str] = frozenset()) -> tuple[dict[str, str], pd.DataFrame]:
    """Map this run's story ids (named after their first article) to the ids they keep from `previous`.

    Both frames hold `article_id, story_id`. Pairs of (new, old) stories are matched greedily by shared articles,
    most first, so the side with the most shared articles keeps the old id; ties go to the larger new story.
    Returns the id mapping and the lineage: `relation` is continued, merged (a new story holding several old
    ones), split (an old story spread over several new ones) or new. `reserved` ids (stories kept elsewhere)
    are never given out.
    """
    shared = members.merge(previous, on="article_id", suffixes=("", "_old"))
    overlap = shared.groupby(["story_id", "story_id_old"]).size().rename("shared").reset_index()
    sizes = members.groupby("story_id").size()
    overlap["size"] = overlap["story_id"].map(sizes)
    overlap = overlap.sort_values(["shared", "size", "story_id", "story_id_old"], ascending=[False, False, True, True])
    mapping: dict[str, str] = {}
    taken: set[str] = set(reserved)
    for row in overlap.itertuples():
        if row.story_id not in mapping and row.story_id_old not in taken:
            mapping[row.story_id] = row.story_id_old
            taken.add(row.story_id_old)
    for story_id, group in members.groupby("story_id", sort=True):
        if story_id not in mapping:
            mapping[story_id] = story_id if story_id not in taken else _fresh_id(group["article_id"], taken)
            taken.add(mapping[story_id])
    return mapping, _lineage(overlap, members, mapping)


def _fresh_id(article_ids, taken: set[str]) -> str:
    """An id for a split-off story whose first article already names a story elsewhere."""
    seed = "split|" + "|".join(sorted(article_ids))
    while (candidate := short_id("s", seed)) in taken:
        seed += "|"
    return candidate


def _lineage(overlap: pd.DataFrame, members: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    parents_per_new = overlap.groupby("story_id")["story_id_old"].nunique()
    children_per_old = overlap.groupby("story_id_old")["story_id"].nunique()
    rows = []
    for row in overlap.itertuples():
        if parents_per_new[row.story_id] > 1:
            relation = "merged"
        elif children_per_old[row.story_id_old] > 1:
            relation = "split"
        else:
            relation = "continued"
        rows.append({"story_id": mapping[row.story_id], "parent_story_id": row.story_id_old, "relation": relation,
                     "shared_articles": int(row.shared)})
    for story_id in sorted(set(members["story_id"]) - set(overlap["story_id"])):
        rows.append({"story_id": mapping[story_id], "parent_story_id": None, "relation": "new",
                     "shared_articles": 0})
    return pd.DataFrame(rows, columns=LINEAGE_COLUMNS).sort_values(["story_id", "parent_story_id"],
                                                                   na_position="first").reset_index(drop=True)
