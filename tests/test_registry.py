"""A new framing analysis is one function and one `register` call: the analyser, the report, the per-story cache
and the story page pick it up with nothing else touched."""

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from perspectives import pipeline
from perspectives.framing import ANALYSES, TABLES, Analysis, Story, register, unregister
from tests.conftest import ROOT

EXCLAMATION_COLUMNS = ["story_id", "outlet", "article_id", "sentence"]


# The whole extension: a function from a Story to rows, and its registration (in the fixture below).
def exclamations(story: Story) -> list[dict]:
    """The sentences an outlet ends with an exclamation mark."""
    return [{"story_id": story.story_id, "outlet": s["outlet"], "article_id": s["article_id"],
             "sentence": s["sentence"]} for s in story.sentences if s["sentence"].rstrip().endswith("!")]


@pytest.fixture
def registered():
    register(Analysis("exclamations", EXCLAMATION_COLUMNS, exclamations, tab="Exclamations"))
    yield
    unregister("exclamations")


ARTICLES = [
    {"id": "e1", "outlet": "Loud Herald", "country": "US", "published_at": "2025-08-08T10:00:00Z",
     "title": "Ceasefire deadline passes in Geneva talks",
     "text": "The ceasefire deadline passed at noon in Geneva without a deal. "
             "This is a disgrace for everyone involved! Negotiators said talks would resume on Monday."},
    {"id": "e2", "outlet": "Calm Ledger", "country": "GB", "published_at": "2025-08-08T11:00:00Z",
     "title": "Geneva ceasefire deadline passes without a deal",
     "text": "The ceasefire deadline passed at noon in Geneva without a deal being reached. Negotiators said the talks "
             "would resume on Monday with new proposals."},
]


@pytest.mark.slow
def test_a_registered_analysis_reaches_the_report_the_cache_and_the_story_page(registered, tmp_path, monkeypatch):
    source = tmp_path / "loud.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    db, out = tmp_path / "loud.db", tmp_path / "out"
    pipeline.run(source, db=db, out=out, progress=False)
    found = pd.read_csv(out / "exclamations.csv")
    assert list(found.columns) == EXCLAMATION_COLUMNS
    assert found[["outlet", "sentence"]].values.tolist() == [["Loud Herald",
                                                              "This is a disgrace for everyone involved!"]]
    assert list(TABLES)[-1] == "exclamations" and ANALYSES["exclamations"].rows is exclamations

    monkeypatch.setenv("PERSPECTIVES_DB", str(db))
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.query_params["story"] = pd.read_csv(out / "articles.csv")["story_id"].iloc[0]
    at.run()
    assert not at.exception
    assert [tab.label for tab in at.tabs][-2:] == ["Exclamations", "Export"]
    assert "exclamations.csv (1 rows)" in [button.label for button in at.get("download_button")]


@pytest.mark.slow
def test_registering_an_analysis_changes_the_settings_so_no_cached_framing_is_served(tmp_path):
    from perspectives.framing import FramingAnalyser

    analyser = FramingAnalyser(n_jobs=1)
    before = analyser.settings()
    register(Analysis("exclamations", EXCLAMATION_COLUMNS, exclamations))
    try:
        assert analyser.settings() != before
    finally:
        unregister("exclamations")
    assert analyser.settings() == before
