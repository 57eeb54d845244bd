"""The benchmark's own bookkeeping: what it counts as embedding."""

import itertools

from benchmarks import run
from perspectives.embed import HashedWords


def test_model_time_counts_the_encoding_inside_its_block_and_leaves_the_embedder_as_it_was(monkeypatch):
    ticks = itertools.count()
    monkeypatch.setattr(run.time, "perf_counter", lambda: float(next(ticks)))  # each reading one second later
    embedder = HashedWords()
    with run.model_time(embedder) as clock:
        embedder.encode(["one text"])
        embedder.encode(["and another"])
    assert clock["seconds"] == 2.0  # each encode: read before, read after
    assert "encode" not in vars(embedder)  # the class's own method again
    embedder.encode(["after the block"])
    assert clock["seconds"] == 2.0


def test_leaving_one_set_out_chooses_on_the_other_sets_and_scores_the_one_left_out():
    import pandas as pd

    from benchmarks import grouping

    shipped = grouping.SHIPPED["lists"], grouping.SHIPPED["window"]
    other = 30, 1.0
    # Two sets prefer `other`, one prefers the shipped constants: only the latter, left out, is scored on `other`.
    f1 = {("a", shipped): 0.5, ("a", other): 0.9, ("b", shipped): 0.6, ("b", other): 0.8,
          ("c", shipped): 0.7, ("c", other): 0.4}
    scores = pd.DataFrame([{"set": name, "shape": "as given", "lists": lists, "window": window, "F1": value}
                           for (name, (lists, window)), value in f1.items()])
    table = grouping.leave_one_set_out(scores).set_index("held out")
    assert table.loc["c", "lists chosen"] == 30 and table.loc["c", "window chosen"] == 1.0
    assert table.loc["c", "held-out F1 (chosen)"] == 0.4 and table.loc["c", "held-out F1 (shipped)"] == 0.7
    # With "a" left out, the shipped constants' mean over "b" and "c" (0.65) beats the other's (0.6).
    assert (table.loc["a", "lists chosen"], table.loc["a", "window chosen"]) == shipped
    assert table.loc["a", "held-out F1 (best possible)"] == 0.9


def test_an_undated_sets_first_half_is_drawn_at_random_and_a_dated_sets_is_its_earlier_half():
    import numpy as np
    import pandas as pd

    from benchmarks import grouping

    dated = pd.DataFrame({"published_at": pd.date_range("2025-08-01", periods=10, freq="D").astype(str)})
    [(arrival, half)] = grouping.first_halves(dated)
    assert arrival == "by date" and half.tolist() == [True] * 5 + [False] * 5
    undated = dated.assign(published_at=None)
    halves = grouping.first_halves(undated)
    assert [arrival for arrival, _ in halves] == [f"draw {draw}" for draw in grouping.ARRIVAL_DRAWS]
    assert all(half.sum() == 5 for _, half in halves)
    assert not np.array_equal(halves[0][1], halves[1][1]) and halves[0][1].tolist() != [True] * 5 + [False] * 5


def test_the_history_weight_is_chosen_on_the_other_sets_each_arrival_averaged_first():
    import pandas as pd

    from benchmarks import grouping

    def row(name, arrival, weight, kept, f1):
        return {"set": name, "arrival": arrival, "history weight": weight, "first half's ids kept": kept,
                "F1 after the second": f1}

    # "a" has two arrivals, the others one. Averaged per set first, "a" counts once: with "c" left out, 0.0 wins
    # (a's 0.6 and b's 0.9 against 0.7 and 0.75); a row per arrival would count "a" twice and choose 0.2.
    table = pd.DataFrame([row("a", "draw 0", 0.0, 0.6, 0.6), row("a", "draw 1", 0.0, 0.6, 0.6),
                          row("a", "draw 0", 0.2, 0.7, 0.7), row("a", "draw 1", 0.2, 0.7, 0.7),
                          row("b", "by date", 0.0, 0.9, 0.9), row("b", "by date", 0.2, 0.75, 0.75),
                          row("c", "by date", 0.0, 1.0, 1.0), row("c", "by date", 0.2, 0.5, 0.5)])
    chosen = grouping.choose_history_weight(table).set_index("set")
    assert chosen.loc["c", "weight chosen"] == 0.0 and chosen.loc["c", "ids kept"] == 1.0
    assert chosen.loc["a", "weight chosen"] == 0.0 and chosen.loc["a", "ids kept"] == 0.6  # its draws' mean
    assert chosen.loc["b", "weight chosen"] == 0.0


def test_a_beat_is_a_topic_of_enough_articles_with_its_stories_whole(monkeypatch):
    import pandas as pd

    from benchmarks import grouping

    monkeypatch.setattr(grouping, "BEAT_MIN", 4)
    # Story "b" has one article tagged otherwise: it goes with its other articles' topic, whole.
    topics = ["jobs"] * 3 + ["prices"] + ["jobs"] + ["prices"] * 3
    articles = pd.DataFrame({"gold": list("aabbbccd"), "topic": topics, "title": list("abcdefgh")})
    beats = dict(grouping.beats(articles))
    assert list(beats) == ["jobs"]  # "prices" (c, d: three articles) is under the minimum
    assert list(beats["jobs"]["gold"]) == list("aabbb") and beats["jobs"].index.tolist() == list(range(5))
    assert grouping.beats(articles.drop(columns="topic")) == []


def test_some_bodies_missing_drops_the_drawn_share_of_bodies_and_their_translations_only():
    import numpy as np
    import pandas as pd

    from benchmarks import grouping

    articles = pd.DataFrame({"title": [f"t{i}" for i in range(400)], "text": "a body", "text_en": "its translation",
                             "title_en": "a title"})
    shaped = grouping.without_some_bodies(articles, 0.25, 0)
    dropped = shaped["part"] == "title only"
    assert 0.2 < dropped.mean() < 0.3
    assert (shaped.loc[dropped, "text"] == "").all() and shaped.loc[dropped, "text_en"].isna().all()
    assert (shaped.loc[~dropped, ["text", "text_en"]] == ["a body", "its translation"]).all().all()
    assert shaped["title"].equals(articles["title"]) and (shaped["title_en"] == "a title").all()
    # Each draw drops its own articles; the same draw the same ones.
    assert not np.array_equal(dropped, grouping.without_some_bodies(articles, 0.25, 1)["part"] == "title only")
    assert grouping.without_some_bodies(articles, 0.25, 0).equals(shaped)


def test_cutting_stories_to_one_keeps_each_cut_storys_first_article_and_the_other_stories_whole():
    import pandas as pd

    from benchmarks import grouping

    articles = pd.DataFrame({"gold": [f"s{i // 3}" for i in range(60)], "id": [f"a{i}" for i in range(60)]})
    shaped = grouping.with_single_stories(articles, 0.8, 0)
    sizes = shaped["gold"].value_counts()
    assert (sizes == 1).sum() == 16 and (sizes == 3).sum() == 4 and len(shaped) == 16 + 12
    first = articles.drop_duplicates("gold").set_index("gold")["id"]
    singles = shaped[shaped["part"] == "story of one"]
    assert (singles["id"] == singles["gold"].map(first)).all() and len(singles) == 16
    assert (shaped.loc[shaped["part"] == "story of 2+", "gold"].map(sizes) == 3).all()
    assert not grouping.with_single_stories(articles, 0.8, 1)["id"].equals(shaped["id"])


def test_stories_of_one_size_are_cut_to_it_and_nearest_pairs_put_each_story_beside_its_twin(monkeypatch):
    import numpy as np
    import pandas as pd

    from benchmarks import grouping

    monkeypatch.setattr(grouping, "EVEN_STORIES", 6)
    # Twelve stories of 8-12 tweets; story 2k and 2k + 1 are twins (mean vectors close), the pairs far apart.
    rng = np.random.default_rng(0)
    sizes = [8 + i % 5 for i in range(12)]
    gold = np.repeat([f"s{i:02d}" for i in range(12)], sizes)
    story = np.repeat(np.arange(12), sizes)
    vectors = np.hstack([np.eye(6)[story // 2] * 5, np.eye(12)[story]]) + rng.normal(0, 0.05, (len(gold), 18))
    tweets = pd.DataFrame({"gold": gold, "id": [f"t{i}" for i in range(len(gold))]})
    drawn = grouping.even_stories(tweets, vectors, 9, 0, nearest=False)
    counts = drawn["gold"].value_counts()
    assert len(counts) == 6 and (counts == 9).all() and "s00" not in counts and drawn["id"].is_unique
    paired = grouping.even_stories(tweets, vectors, 8, 1, nearest=True)
    chosen = paired["gold"].unique()
    assert len(chosen) == 6 and (paired["gold"].value_counts() == 8).all()
    # Whole twin pairs only: each chosen story's twin is chosen too.
    twins = {f"s{i:02d}": f"s{i ^ 1:02d}" for i in range(12)}
    assert all(twins[story] in chosen for story in chosen)
    assert grouping.even_stories(tweets, vectors, 8, 1, nearest=True).equals(paired)
    assert not grouping.even_stories(tweets, vectors, 8, 2, nearest=True)["id"].equals(paired["id"])


def test_the_condensed_cosine_distances_are_scipys_across_the_blocks():
    import numpy as np
    from scipy.spatial.distance import pdist

    from benchmarks import grouping

    vectors = np.random.default_rng(0).normal(size=(2300, 8))  # three blocks of rows, the last one short
    assert np.allclose(grouping.cosine_distances(vectors), pdist(vectors, "cosine"), atol=1e-9)


def test_a_tuned_threshold_is_chosen_leaving_the_set_out_and_a_copy_with_the_set_it_copies():
    import pandas as pd

    from benchmarks import grouping

    f1 = {("demo", "as given"): (0.9, 0.0), ("demo", "titles only"): (0.5, 0.6), ("neus", "as given"): (0.2, 0.8),
          ("neus", "titles only"): (0.3, 0.4), ("demo_originals", "as given"): (0.6, 0.5)}
    grid = pd.DataFrame([{"set": name, "shape": shape, "threshold": threshold, "F1": value}
                         for (name, shape), values in f1.items() for threshold, value in zip((0.4, 0.6), values)])
    table = grouping.tuned_thresholds(grid, ["demo", "neus"]).set_index(["set", "shape"])
    # Without the demo, NeuS alone chooses 0.6 in every shape and in each.
    demo = table.loc[("demo", "titles only")]
    assert demo["threshold (all shapes)"] == 0.6 and demo["F1 (all shapes)"] == 0.6
    assert table.loc[("demo", "as given"), "threshold (its shape)"] == 0.6
    assert table.loc[("demo", "as given"), "F1 (its shape)"] == 0.0
    # Without NeuS, the demo alone: 0.4 in every shape (0.7 against 0.3) and as given, 0.6 in titles only.
    neus = table.loc[("neus", "titles only")]
    assert neus["threshold (all shapes)"] == 0.4 and neus["threshold (its shape)"] == 0.6
    assert table.loc[("neus", "as given"), "threshold (its shape)"] == 0.4
    # The copy is chosen for without the demo too (with it, every shape's mean would choose 0.4: 0.475 against 0.45).
    copy = table.loc[("demo_originals", "as given")]
    assert copy["threshold (all shapes)"] == 0.6 and copy["F1 (all shapes)"] == 0.5
    assert copy["best threshold"] == 0.4 and copy["F1 (best)"] == 0.6


def test_each_copy_is_chosen_for_without_the_set_it_repeats():
    import pandas as pd

    from benchmarks import grouping

    assert set(grouping.COPIES) == {"demo_originals", "demo_per_language", "twin_events_english"}
    f1 = {"demo": (0.2, 0.9), "twin_events": (0.9, 0.1), "twin_events_english": (0.3, 0.4)}
    grid = pd.DataFrame([{"set": name, "shape": "as given", "threshold": threshold, "F1": value}
                         for name, values in f1.items() for threshold, value in zip((0.4, 0.6), values)])
    table = grouping.tuned_thresholds(grid, ["demo", "twin_events"]).set_index("set")
    # Left with the demo alone (0.6); with the twin events in, the mean would choose 0.4 (0.55 against 0.5).
    assert table.loc["twin_events_english", "threshold (all shapes)"] == 0.6


def test_a_feeds_item_is_its_title_with_the_first_sentence_and_a_summary_the_sentence_alone():
    import pandas as pd

    from perspectives import shapes

    articles = pd.DataFrame({"title": ["Quake hits Kamchatka"], "title_en": [None], "language": ["en"],
                             "text": ["A magnitude 8.8 quake struck on Wednesday. Tsunami warnings followed."],
                             "text_en": [None], "published_at": ["2025-07-30"], "outlet": ["a"]})
    item = shapes.title_and_summary(articles).iloc[0]
    assert item["title"] == "Quake hits Kamchatka" and item["published_at"] == "2025-07-30"
    assert item["text"] == "A magnitude 8.8 quake struck on Wednesday."
    summary = shapes.summaries_only(articles).iloc[0]
    assert summary["title"] == "" and summary["text"] == item["text"] and summary["outlet"] == "a"


def test_a_back_catalogue_is_an_outlets_older_half_stamped_within_the_half_day_from_the_median_date():
    import pandas as pd

    from perspectives import shapes

    days = pd.Timestamp("2025-07-01", tz="UTC") + pd.to_timedelta(list(range(30)) * 6, unit="D")
    articles = pd.DataFrame({"id": [f"a{i}" for i in range(180)], "outlet": [f"Outlet {i // 30}" for i in range(180)],
                             "published_at": days.strftime("%Y-%m-%dT%H:%M:%SZ")})
    articles.loc[180] = ["undated", "Outlet 0", None]  # stays so
    shaped = shapes.back_catalogues(articles)
    moved = (shaped["published_at"] != articles["published_at"]) & articles["published_at"].notna()
    fetched = pd.to_datetime(shaped.loc[moved, "published_at"], utc=True)
    median = pd.Timestamp("2025-07-15T12:00:00Z")
    assert (fetched >= median).all() and (fetched < median + pd.Timedelta(hours=12)).all()
    broken = set(articles.loc[moved, "outlet"])
    assert 0 < len(broken) < 6 and shaped["published_at"].isna().sum() == 1
    older = pd.to_datetime(articles["published_at"], utc=True) < median
    assert (moved == (older & articles["outlet"].isin(broken))).all()


def test_the_twin_events_ids_are_also_checked_without_dates_on_random_halves(monkeypatch):
    import numpy as np
    import pandas as pd

    from benchmarks import grouping

    seen = []

    def kept_ids_row(name, articles, vectors, arrival, half, history_weight):
        seen.append((name, arrival, history_weight, articles["published_at"].isna().all(),
                     articles["outlet"].nunique(), int(half.sum())))
        return {"set": name, "arrival": arrival, "history weight": history_weight}

    monkeypatch.setattr(grouping, "kept_ids_row", kept_ids_row)
    monkeypatch.setattr(grouping, "vectors_of", lambda articles, embedder: np.zeros((len(articles), 4)))
    twins = pd.DataFrame({"id": [f"t-{i}" for i in range(8)], "outlet": list("abcdabcd"), "title": "x", "text": "y",
                          "published_at": pd.date_range("2025-10-01", periods=8, freq="D").astype(str),
                          "gold": list("aabbccdd")})
    table = grouping.kept_ids_rows({"twin_events": twins}, weights=(0.2,))
    assert set(table["set"]) == {"twin_events", "twin_events without dates"}
    assert [row for row in seen if row[0] == "twin_events"] == [("twin_events", "by date", 0.2, False, 4, 4)]
    undated = [row for row in seen if row[0] == "twin_events without dates"]
    assert [row[1] for row in undated] == [f"draw {draw}" for draw in grouping.ARRIVAL_DRAWS]
    assert all(row[3] and row[4] == 1 and row[5] == 4 for row in undated)  # no dates, one outlet, half the articles


def test_a_few_stories_are_drawn_whole_distinct_and_of_three_articles_or_more():
    import pandas as pd

    from benchmarks import grouping

    articles = pd.DataFrame({"gold": list("aaabbbbccd") + ["e"] * 5})
    for k in grouping.FEW_STORIES:
        corpora = grouping.few_story_corpora(articles, k)
        assert len(corpora) == grouping.FEW_DRAWS
        for mask in corpora:
            drawn = articles["gold"][mask]
            assert drawn.nunique() == k and set(drawn) <= {"a", "b", "e"}
            assert (articles["gold"].isin(set(drawn)) == mask).all()  # each story whole
        assert len({tuple(mask) for mask in corpora}) > 1 or k == 3  # draws differ (three of three are all alike)
    assert grouping.few_story_corpora(articles, 4) == []


def test_each_rule_is_switched_off_inside_its_block_only():
    from benchmarks import ablation, grouping
    from perspectives import pipeline
    from perspectives.stories import clusterer

    def state():
        return {**{("module", name): value for name, value in vars(clusterer).items()},
                **{("class", name): value for name, value in vars(clusterer.StoryClusterer).items()},
                ("pipeline", "StoryClusterer"): pipeline.StoryClusterer,
                ("grouping", "REFERENCE_BELOW"): grouping.REFERENCE_BELOW}

    before = state()
    for rule, (_, switched_off) in ablation.RULES.items():
        with switched_off():  # a rule naming something the engine no longer has fails here (AttributeError)
            inside = state()
            assert [key for key in before if inside.get(key) is not before[key]], rule
        assert state() == before, rule
    with ablation.RULES["intruders out"][1]():
        assert pipeline.StoryClusterer().fit_share is None
        assert pipeline.StoryClusterer(history_weight=0.5).fit_share is None


def test_a_rules_effect_counts_the_cells_that_fall_and_rise_and_names_the_worst():
    import pandas as pd

    from benchmarks import ablation

    shipped = pd.DataFrame({"table": ["main", "main", "beats"], "cell": ["a", "b", "c"], "score": [0.9, 0.8, 0.7]})
    without = shipped.assign(score=[0.7, 0.803, 0.75])
    [row] = ablation.effect_rows(shipped, {"rule": without}, by_table=False).to_dict("records")
    assert (row["rule"], row["cells"], row["fall"], row["rise"]) == ("rule", 3, 1, 1)
    assert row["falls most"] == "main: a 0.900 -> 0.700" and row["rises most"] == "beats: c 0.700 -> 0.750"
    assert abs(row["mean change"] - (-0.2 + 0.003 + 0.05) / 3) < 1e-9
    main, beats = ablation.effect_rows(shipped, {"rule": without}).to_dict("records")
    assert (main["table"], main["cells"], main["fall"], main["rise"], main["rises most"]) == ("main", 2, 1, 0, "")
    assert (beats["table"], beats["fall"], beats["falls most"]) == ("beats", 0, "")


def test_the_blurbs_written_after_the_constants_were_fixed_are_measured_but_never_fitted():
    import pandas as pd

    from benchmarks import grouping

    sets = grouping.labelled_sets(tweets=0)
    assert {"blurbs", "blurbs_55", "blurbs_55_big"} <= set(sets) and len(sets["blurbs_55_big"]) == 288 + 120
    fitted = grouping.fit_sets(sets)
    assert "blurbs" in fitted and not {*grouping.UNFITTED, *grouping.COPIES} & set(fitted)
    assert set(grouping.UNFITTED) == {"blurbs_55", "blurbs_55_big", "twin_events_shared", "follow_ups",
                                      "follow_ups_months"} <= set(sets)
    # The classic peer's threshold for the demo is chosen on the other fitted sets: the blurbs' mild preference for
    # 0.3, not the unfitted set's strong one for 0.5 (which, fitted, would carry the mean).
    f1 = {("blurbs", 0.3): 0.6, ("blurbs", 0.5): 0.5, ("blurbs_55", 0.3): 0.0, ("blurbs_55", 0.5): 1.0,
          ("demo", 0.3): 0.9, ("demo", 0.5): 0.8}
    grid = pd.DataFrame([{"set": name, "shape": "as given", "threshold": threshold, "F1": value}
                         for (name, threshold), value in f1.items()])
    chosen = grouping.tuned_thresholds(grid, list(fitted)).set_index("set")
    assert chosen.loc["demo", "threshold (all shapes)"] == 0.3 and chosen.loc["blurbs_55", "F1 (best)"] == 1.0


def test_the_join_across_time_is_costed_on_stories_each_tenth_of_which_has_a_development_to_join():
    from benchmarks.scaling import follow_up_point

    point = follow_up_point(6, per_day=100)
    assert point["articles"] == 5 * point["stories"] and point["developments"] > 0
    assert point["joined"] == point["developments"]  # each development at its event's centre, ten days on
