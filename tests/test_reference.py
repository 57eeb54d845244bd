"""A small corpus is grouped among the packaged reference articles (`stories.reference`)."""

import json
from pathlib import Path

import pandas as pd
import pytest

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

    # Undated, two of them are placed where the dated article most like them was published: an article of the
    # corpus, though the reference articles, dated like the corpus's, are candidates too.
    undated = story.assign(published_at=[None, None] + list(story["published_at"][2:]))
    members = group_stories(undated, embedder, progress=False, reference=others).members.set_index("article_id")
    placed = members.loc[undated["id"][:2], "placed_at"]
    assert placed.notna().all() and placed.isin(set(story["published_at"][2:])).all()


@pytest.mark.slow
def test_perspectives_run_on_one_events_coverage_reports_one_story(tmp_path):
    from tests.conftest import cli

    # The Ecuador quake's reports but its first, which is a reference article: none of the corpus is among them.
    lines = [line for line in OWN[1].read_text(encoding="utf-8").splitlines()
             if json.loads(line)["gold_story"] == "quake-ecuador"][1:]
    corpus = tmp_path / "quake.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reference_ids = set(reference_articles()["id"].str.split("/", n=1).str[1])
    assert len(lines) == 8 and not reference_ids & {json.loads(line)["id"] for line in lines}
    cli("run", corpus, "--db", tmp_path / "quake.db", "--out", tmp_path / "out")
    stories = pd.read_csv(tmp_path / "out" / "stories.csv")
    articles = pd.read_csv(tmp_path / "out" / "articles.csv")
    assert len(stories) == 1 and len(articles) == 8
