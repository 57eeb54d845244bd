"""Actors: the people, countries and organisations a story is about, and what each outlet says they said or did.

No named-entity model can be installed offline here, so actors are proper-noun spans (the `NAME` pattern shared
with the attribution rules) that at least `min_outlets` outlets mention; mentions are matched on the span's last
word ("Putin" matches "Vladimir Putin"). To use a real NER model, pass `FramingAnalyser(actors=...)` a function of
the story's sentence rows (dicts with `sentence` and `outlet`, as `sentence_rows` makes them).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

import pandas as pd

from perspectives.framing.sentences import records
from perspectives.framing.sources import NAME, _clean_name, _is_prefix

ACTION_VERBS = (r"said|says|told|announced|agreed|rejected|warned|threatened|signed|met|called|demanded|offered|"
                r"refused|ordered|promised|accused|praised|criticised|criticized|urged|insisted|set|gave|proposed|"
                r"vowed|pledged|denied|dismissed|welcomed|condemned|imposed|launched|visited|spoke|wrote|added|held|made|"
                r"took|arrived|left|travelled|traveled|talked|returned")
_NAME_RE = re.compile(NAME)
_TIME_WORDS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
               "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}


def _spans(sentence: str) -> list[str]:
    spans = []
    for match in _NAME_RE.finditer(sentence):
        name = _clean_name(re.sub(r"['’]s$", "", match.group(0)))
        if not name or name in _TIME_WORDS or (" " not in name and _is_prefix(name)):
            continue
        if match.start() == 0 and " " not in name:
            continue  # a lone capitalised word opening a sentence is usually not a name
        spans.append(name)
    return spans


def find_actors(sentences, min_outlets: int = 2, top: int = 10) -> list[str]:
    """The story's main actors: proper-noun spans mentioned by at least `min_outlets` outlets, most widely first.
    `sentences`: `sentence_table`'s frame or rows."""
    outlets_by_key: dict[str, set] = defaultdict(set)
    forms: dict[str, Counter] = defaultdict(Counter)
    for row in records(sentences):
        for name in _spans(row["sentence"]):
            key = name.split()[-1]
            outlets_by_key[key].add(row["outlet"])
            forms[key][name] += 1
    ranked = sorted((k for k, o in outlets_by_key.items() if len(o) >= min_outlets),
                    key=lambda k: (-len(outlets_by_key[k]), -sum(forms[k].values()), k))
    # Display the shortest frequent form: "Putin" rather than "Russian President Vladimir Putin".
    return [min(forms[k], key=lambda f: (len(f.split()), -forms[k][f], f)) for k in ranked[:top]]


def mentioned(actors: list[str], sentence: str) -> set[str]:
    """The actors a sentence mentions, each matched on its last word."""
    if not actors or not _any_of(tuple(actors)).search(sentence):  # most sentences: one search, not one per actor
        return set()
    return {actor for actor in actors if _mention_pattern(actor).search(sentence)}


def mention_span(actor: str, sentence: str) -> tuple[int, int] | None:
    """Where the sentence first names the actor: its full name if written out, else its last word."""
    found = re.search(rf"\b{re.escape(actor)}\b", sentence) or _mention_pattern(actor).search(sentence)
    return found.span() if found else None


@lru_cache(maxsize=4096)
def _mention_pattern(actor: str) -> re.Pattern:
    # Compiled once per actor: re's own cache (512 patterns) is too small for a report's thousands of terms.
    return re.compile(rf"\b{re.escape(actor.split()[-1])}\b")


@lru_cache(maxsize=1024)
def _any_of(actors: tuple[str, ...]) -> re.Pattern:
    return re.compile(rf"\b(?:{'|'.join(re.escape(actor.split()[-1]) for actor in actors)})\b")


def actor_statements(sentences: pd.DataFrame, sources: pd.DataFrame, actor: str) -> pd.DataFrame:
    """Per outlet, what it says `actor` said or did: quotes credited to the actor and sentences with the actor as
    the subject of a speech or action verb."""
    last = re.escape(actor.split()[-1])
    acting = re.compile(rf"\b{last}(?:'s|’s)?\b(?:,[^,]{{1,60}},)?(?:\s+[a-z]+){{0,2}}\s+(?:{ACTION_VERBS})\b")
    quoted = sources[sources["speaker"].fillna("").str.contains(rf"\b{last}\b", regex=True)]
    rows = [{"outlet": q.outlet, "article_id": q.article_id, "kind": "quoted", "sentence": q.sentence}
            for q in quoted.itertuples()]
    seen = {r["sentence"] for r in rows}
    rows += [{"outlet": s.outlet, "article_id": s.article_id, "kind": "said or did", "sentence": s.sentence}
             for s in sentences.itertuples() if acting.search(s.sentence) and s.sentence not in seen]
    return pd.DataFrame(rows, columns=["outlet", "article_id", "kind", "sentence"])
