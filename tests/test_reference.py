"""A small corpus is grouped among the packaged reference articles (`stories.reference`)."""

import json
from pathlib import Path

import pandas as pd

from perspectives.ingest import load_articles
from perspectives.pipeline import group_stories
from perspectives.stories.reference import REFERENCE, REFERENCE_BELOW, reference_articles, reference_lines

DATA = Path(__file__).resolve().parent.parent / "data"
OWN = (DATA / "demo" / "articles.jsonl", DATA / "twin_events" / "twin_events.jsonl", DATA / "blurbs" / "blurbs.jsonl")


def test_the_packaged_reference_is_the_first_article_of_each_story_of_the_projects_own_corpora():
    packaged = [json.loads(line) for line in REFERENCE.read_text(encoding="utf-8").splitlines()]
    assert packaged == [article for corpus in OWN for article in reference_lines(corpus)]
    stories = sum(len({json.loads(line)["gold_story"] for line in corpus.read_text(encoding="utf-8").splitlines()})
                  for corpus in OWN)
    assert len(packaged) == stories == len(reference_articles())


def test_a_corpus_of_one_story_is_one_story_among_the_reference_articles(embedder):
    twin_events = load_articles(OWN[1]).articles
    story = twin_events[twin_events["extra"].map(lambda extra: extra["gold_story"]) == "quake-ecuador"]
    assert len(story) == 9 < REFERENCE_BELOW
    reference = reference_articles()
    others = reference[~reference["id"].str.startswith("twin_events/")]  # not among its own story's first article
    among = group_stories(story, embedder, progress=False, reference=others)
    # Only the corpus's articles come back, all in one story; grouped alone, centring on the story's own mean removes
    # what its articles share, and they fall apart.
    assert sorted(among.members["article_id"]) == sorted(story["id"]) and among.members["story_id"].nunique() == 1
    alone = group_stories(story, embedder, progress=False, reference=pd.DataFrame())
    assert alone.members["story_id"].nunique() > 3
