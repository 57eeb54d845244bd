"""The app through Streamlit's own test harness, over the store that `perspectives run` built from the demo."""

import html
import json
import re
import shutil
import sqlite3

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from benchmarks.app_speed import replicate
from perspectives import desk
from perspectives.app.render import (
    block,
    country_row,
    highlight,
    inert,
    plotly_text,
    safe_url,
    shown_time,
    take_card,
    takes_row,
)
from perspectives.store import STORY_COLUMNS, Store
from perspectives.text import MAX_ARTICLE_SENTENCES
from tests.conftest import ROOT, cli

APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def app(demo_run, monkeypatch):
    monkeypatch.setenv("PERSPECTIVES_DB", str(demo_run["db"]))
    return AppTest.from_file(APP, default_timeout=120)


def cards(at) -> int:
    return sum(m.value.count('class="take"') for m in at.markdown)


def everything(app):
    """The app run with the whole store as its period (the demo spans a month; the default is its last 48 hours)."""
    return app.run().selectbox(key="period").set_value("Everything").run()


def test_story_list_renders_with_filters(app, demo_tables):
    at = everything(app)
    assert not at.exception
    assert at.title[0].value == "Today's stories"
    listed = at.dataframe[0].value
    multi = demo_tables["stories"].query("n_outlets >= 2")
    assert len(listed) == len(multi)  # default filter: stories with 2+ outlets
    at.multiselect[0].select("IN").run()
    only_india = at.dataframe[0].value
    assert 0 < len(only_india) < len(listed)
    assert all("IN" in c for c in only_india["countries"])


def test_the_front_page_counts_its_stories_in_words(app):
    at = app.run()
    assert len(at.dataframe[0].value) == 1  # the demo's last 48 hours: one story of two or more outlets
    assert at.caption[0].value == ("1 story in the period chosen · ranked by spread: countries, outlets, articles in "
                                   "the last 6 hours, then articles")
    at.selectbox(key="period").set_value("Everything").run()
    assert at.caption[0].value.startswith(f"{len(at.dataframe[0].value)} stories in the period chosen")


def test_opening_a_story_shows_one_column_per_outlet(app, demo_tables, aug8_story_id):
    at = everything(app)
    at.selectbox(key="open_story").set_value(aug8_story_id).run()
    assert not at.exception
    assert at.query_params["story"] == aug8_story_id
    outlets = demo_tables["takes"].query("story_id == @aug8_story_id")["outlet"]
    assert cards(at) == len(outlets) >= 10
    page = " ".join(m.value for m in at.markdown)
    assert all(inert(o) in page for o in outlets)
    at.button[0].click().run()  # back to the list
    assert at.title[0].value == "Today's stories" and "story" not in at.query_params


def test_the_story_page_has_a_tab_for_each_analysis(app, demo_run, aug8_story_id):
    app.query_params["story"] = aug8_story_id
    at = app.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Alternative Takes", "Map", "Claims", "Wording", "Sources", "Tone",
                                          "Frames", "Actors", "Timeline", "Export"]
    claims, sources, actors = at.tabs[2], at.tabs[4], at.tabs[7]
    assert len(claims.get("plotly_chart")) == 1  # the claims x outlets matrix
    unique = next(d.value for d in claims.dataframe if "claim_id" in d.value.columns)
    # The report's unique claims of this story, the most likely to matter first, each with its score's interval.
    report = pd.read_csv(demo_run["out"] / "claims.csv").query("story_id == @aug8_story_id and kind == 'unique'")
    assert len(unique) and sorted(unique["claim_id"]) == sorted(report["claim_id"])
    assert unique["score"].astype(float).is_monotonic_decreasing
    assert (unique["score_low"] <= unique["score"]).all() and (unique["score"] <= unique["score_high"]).all()
    assert len(sources.dataframe[0].value) > 10
    picker = actors.selectbox[0]
    assert "Putin" in picker.options
    picker.set_value("Putin").run()
    statements = at.tabs[7].dataframe[0].value
    assert len(statements) and statements["sentence"].str.contains("Putin").all()
    # Last, the story's articles, each with its fit to the story as the report gives it.
    articles = at.dataframe[-1].value
    report = pd.read_csv(demo_run["out"] / "articles.csv").query("story_id == @aug8_story_id")
    assert sorted(articles["fit"].round(6)) == sorted(report["story_fit"].round(6))


def test_a_story_link_opens_the_story_page_directly(app, aug8_story_id):
    app.query_params["story"] = aug8_story_id
    at = app.run()
    assert cards(at) >= 10
    app.query_params["story"] = "s-unknown"
    at = app.run()
    assert "No story" in at.warning[0].value and at.text[0].value == "s-unknown"


def test_a_link_to_a_story_regrouped_since_opens_the_story_holding_its_articles(demo_run, aug8_story_id, tmp_path,
                                                                                monkeypatch):
    db = tmp_path / "regrouped.db"
    shutil.copy(demo_run["db"], db)
    with Store(db) as store:  # a run that merged a story of an earlier link ("s-earlier") into the August 8 story
        lineage = pd.DataFrame([{"story_id": aug8_story_id, "parent_story_id": "s-earlier", "relation": "merged",
                                 "shared_articles": 4}])
        store.replace_stories(store.start_run("cluster", {}), pd.DataFrame(columns=STORY_COLUMNS),
                              pd.DataFrame(columns=["article_id", "story_id"]), {}, lineage, replaced=[])
    monkeypatch.setenv("PERSPECTIVES_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["story"] = "s-earlier"
    at.run()
    assert "since been regrouped" in at.info[0].value and cards(at) >= 10
    assert at.query_params["story"] == aug8_story_id


def test_a_missing_store_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("PERSPECTIVES_DB", str(tmp_path / "nothing.db"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "no store at" in at.error[0].value


def test_article_text_is_escaped_and_terms_marked():
    text = 'Deadline <script>alert(1)</script> for <img src=x onerror="boom()"> the Kremlin'
    html = highlight(text, ["kremlin", "deadline"])
    assert "<script>" not in html and inert("<script>") in html and "<img" not in html
    assert html.startswith("<mark>Deadline</mark>") and html.endswith("<mark>Kremlin</mark>")
    card = take_card({"outlet": "<b>X</b>", "headline": "<i>h</i>", "lede": text, "distinctive_terms": ["<t>"]})
    assert "<b>X</b>" not in card and inert("<b>X</b>") in card and "<script>" not in card


def test_times_show_as_an_editor_reads_them():
    """A day without a time is stored as midnight and shown as the day, not as "00:00"."""
    assert shown_time("2025-09-08T00:00:00Z") == "2025-09-08"
    assert shown_time("2025-09-08T14:05:09Z") == "2025-09-08 14:05 UTC"
    assert shown_time(None) is None and shown_time("") is None and shown_time(float("nan")) is None
    assert "2025-09-08 14:05 UTC" in html.unescape(take_card({"outlet": "X", "published_at": "2025-09-08T14:05:09Z"}))


def test_a_take_without_a_headline_has_no_empty_heading():
    """A one-line summary's take (a feed whose pages could not be read) has a lede and no headline."""
    summary = {"outlet": "X", "headline": "", "lede": "Talks resume in Geneva.", "distinctive_terms": []}
    assert "<h4>" not in take_card(summary) and "<h4>" not in country_row([summary])
    assert "<h4>Talks</h4>" in take_card({**summary, "headline": "Talks"})
    translated = take_card({**summary, "headline_en": "", "lede_en": "Talks resume."})
    assert "<b></b>" not in translated and '<div class="english">Talks resume' in translated


def test_only_http_links_are_kept():
    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url("javascript:alert(1)") is None and safe_url(None) is None


def test_takes_can_be_grouped_by_country(app, aug8_story_id, demo_tables):
    app.query_params["story"] = aug8_story_id
    at = app.run()
    at.radio(key="takes_by").set_value("country").run()
    countries = demo_tables["takes"].query("story_id == @aug8_story_id")["country"].nunique()
    assert cards(at) == countries


def test_export_offers_every_table_as_csv(app, aug8_story_id):
    app.query_params["story"] = aug8_story_id
    at = app.run()
    labels = [b.label for b in at.get("download_button")]
    assert [label.split(" ")[0] for label in labels] == ["takes.csv", "claims.csv", "terms.csv", "sources.csv",
                                                          "tone.csv", "frames.csv", "timeline.csv", "cuts.csv"]


def test_coverage_map_view_shows_the_outlets_of_a_country(app, aug8_story_id):
    at = everything(app)
    at.sidebar.radio(key="view").set_value("Coverage map").run()
    at.selectbox(key="map_story").set_value(aug8_story_id).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    at.selectbox(key="coverage_map_country").set_value("IN").run()
    assert any("Bharat Ledger" in m.value for m in at.markdown)
    assert cards(at) == 1  # the Indian outlet's take


def test_blindspots_view_explains_what_is_missing(app):
    at = everything(app)
    at.sidebar.radio(key="view").set_value("Blindspots").run()
    table = at.dataframe[0].value
    assert len(table) and table["summary"].str.contains("no outlet from").all()
    at.radio[0].set_value("ownership").run()
    assert not at.exception


def test_search_finds_stories_by_meaning_and_by_words(app, aug8_story_id):
    at = everything(app)
    at.sidebar.radio(key="view").set_value("Search").run()
    at.text_input[0].input("Witkoff").run()
    hits = at.dataframe[0].value
    assert "keyword" in hits.iloc[0]["match"] or "both" in hits.iloc[0]["match"]
    at.text_input[0].input("volcanic eruption forces evacuation of a fishing town").run()
    assert "Iceland" in at.dataframe[0].value.iloc[0]["label"]


def test_a_story_page_names_its_blindspots(app, demo_run):
    # Among the outlets publishing from a day before the story to a day after it.
    db = demo_run["db"]
    spots = [desk.blindspots(desk.Desk.around_story(db, s), by="region", story_ids=[s])
             for s in desk.blindspots(desk.Desk.from_store(db), by="region")["story_id"]]
    story = next(s for s in spots if len(s)).iloc[0]
    app.query_params["story"] = story["story_id"]
    at = app.run()
    assert [w.value for w in at.warning] == [f"Blindspot: {inert(story['summary'])}"]


def test_a_single_outlet_story_page_says_there_is_nothing_to_compare(app, demo_tables):
    single = demo_tables["stories"].query("n_outlets == 1")["story_id"].iloc[0]
    app.query_params["story"] = single
    at = app.run()
    assert not at.exception and not at.tabs
    assert "nothing to compare" in at.info[0].value
    story = demo_tables["stories"].set_index("story_id").loc[single]
    articles = "1 article" if story["n_articles"] == 1 else f"{story['n_articles']} articles"
    assert at.caption[0].value == (f"{articles} · 1 outlet · countries: {inert(story['countries'])} · "
                                   f"{inert(story['first_published'])} → {inert(story['last_published'])}")


def test_a_store_of_undated_untitled_texts_without_outlets_lists_and_opens_its_stories(tmp_path, monkeypatch):
    """Preprocessed collections come so: one-line texts, no title, date, outlet or country. The app offers no period
    and no outlet filter to empty its list, leaves out the columns nothing fills and shows each text's opening."""
    from perspectives import pipeline
    from perspectives.embed import HashedWords

    texts = ["quake hits coastal city buildings collapse overnight", "coastal city quake toll rises as rescue goes on",
             "rescue teams search quake rubble in coastal city", "central bank raises rates to fight inflation",
             "bank rates rise again as inflation stays high", "central bank inflation rates decision surprises"]
    db = tmp_path / "texts.db"
    pipeline.ingest(pd.DataFrame({"text": texts}), db=db, rejects=None)
    pipeline.cluster(db=db, embedder=HashedWords(), progress=False)
    monkeypatch.setenv("PERSPECTIVES_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert "period" not in [box.key for box in at.selectbox]
    assert any("No article here has a date" in caption.value for caption in at.sidebar.caption)
    assert at.caption[0].value.endswith("ranked by spread: countries, then articles")
    assert not at.sidebar.slider and "Outlets" not in [box.label for box in at.sidebar.multiselect]
    listed = at.dataframe[0].value
    with Store(db) as store:
        stories, members = store.stories(), store.members()
    assert len(listed) == len(stories)  # no outlet to ask for: every story
    assert list(listed.columns) == ["label", "n_articles", "keywords"]
    at.sidebar.radio(key="view").set_value("Coverage map").run()
    assert "No article here names a country" in at.info[0].value
    story = stories.sort_values("n_articles").iloc[-1]
    at.query_params["story"] = story["story_id"]
    at.run()
    assert not at.exception
    assert at.caption[0].value == f"{story['n_articles']} articles"
    assert "name no outlet" in at.info[0].value
    shown = at.dataframe[0].value
    assert "outlet" not in shown.columns and "published_at" not in shown.columns and "url" not in shown.columns
    ids = members.query("story_id == @story.story_id")["article_id"]
    assert sorted(shown["title"]) == sorted(texts[int(i.rsplit(":", 1)[1])] for i in ids)


def test_the_language_filter_offers_every_language_of_the_articles(tmp_path, monkeypatch):
    """Articles without outlets in 33 languages: the filter once offered the languages of each outlet's first article
    (one, of the one unnamed outlet)."""
    from perspectives import pipeline
    from perspectives.embed import HashedWords
    from tests.conftest import BLURBS

    db = tmp_path / "blurbs.db"
    pipeline.ingest(BLURBS, db=db, rejects=None)
    pipeline.cluster(db=db, embedder=HashedWords(), progress=False)
    monkeypatch.setenv("PERSPECTIVES_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="period").set_value("Everything").run()
    assert not at.exception
    languages = next(box for box in at.sidebar.multiselect if box.label == "Languages")
    assert languages.options == sorted(pd.read_json(BLURBS, lines=True)["language"].unique())
    languages.select("th").run()
    with Store(db) as store:
        thai = store.articles(texts=False).query("language == 'th'")["id"]
        stories = set(store.members().set_index("article_id")["story_id"][thai])
    assert not at.exception and len(at.dataframe[0].value) == len(stories) >= 1  # the stories a Thai blurb is in


def rendered(markdown: str) -> str:
    """What a CommonMark renderer that lets HTML through (as st.markdown(unsafe_allow_html=True) does) makes of it."""
    return MarkdownIt("commonmark").render(markdown)


HEADLINE = "Deadline talks\n\n![x](http://127.0.0.1:9/pixel.png) and [read this](http://127.0.0.1:9/link) <b>now</b>"


def test_a_blank_line_in_a_headline_cannot_end_the_card_and_start_markdown():
    take = {"outlet": "[Kyiv](http://127.0.0.1:9/o)", "headline": HEADLINE, "distinctive_terms": ["lede"],
            "lede": "Lede\n\n![y](http://127.0.0.1:9/y)", "wire_note": "2 outlets ran this wire text",
            "also_ran": ["![z](http://127.0.0.1:9/z)"]}
    card = takes_row([take])
    assert "\n\n" not in card.split("</style>")[1]
    page = rendered(card)
    assert "<img" not in page and "<a " not in page and "<b>now" not in page
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert " ".join(HEADLINE.split()) in shown and "![y](http://127.0.0.1:9/y)" in shown  # as characters
    assert rendered("# " + inert(HEADLINE)).count("<") == 2  # Markdown contexts too: only the heading's own tags


def test_plotly_labels_are_plain_text():
    frame = plotly_text(pd.DataFrame({"outlet": ['<a href="http://127.0.0.1:9/">X</a> & co'], "tone": [-0.5]}))
    assert frame["outlet"].iloc[0] == '&lt;a href="http://127.0.0.1:9/"&gt;X&lt;/a&gt; &amp; co'
    assert frame["tone"].iloc[0] == -0.5


@pytest.fixture
def hostile_app(hostile_run, monkeypatch):
    monkeypatch.setenv("PERSPECTIVES_DB", str(hostile_run["db"]))
    return AppTest.from_file(APP, default_timeout=120)


def hostile_story(hostile_run) -> str:
    story_ids = pd.read_csv(hostile_run["out"] / "articles.csv")["story_id"]
    assert story_ids.nunique() == 1  # one story of three outlets
    return story_ids.iloc[0]


def test_a_hostile_story_renders_as_text(hostile_app, hostile_run):
    hostile_app.query_params["story"] = hostile_story(hostile_run)
    at = hostile_app.run()
    assert not at.exception
    texts = [e.value for e in [*at.title, *at.markdown, *at.caption, *at.warning, *at.subheader]]
    assert "\n\n" in hostile_run["headline"] and block("h1", hostile_run["headline"]) in texts
    assert cards(at) == 1 and any(inert(hostile_run["headline"]) in t and "class=\"take\"" in t for t in texts)
    for text in texts:
        page = rendered(text)
        assert "<img" not in page and "<a " not in page and "<b>now" not in page
    charts = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert len(charts) >= 4
    assert not [c for c in charts if "<a href" in c or "<b>" in c or "<img" in c]
    assert any("&lt;a href" in c for c in charts)  # the outlet named with a link, as text


def test_the_story_parameter_is_never_read_as_markdown(hostile_app, hostile_run):
    payload = f"![x]({hostile_run['url']}/query.png)"
    hostile_app.query_params["story"] = payload
    at = hostile_app.run()
    assert payload not in " ".join(e.value for e in [*at.warning, *at.markdown, *at.title, *at.caption])
    assert [t.value for t in at.text] == [payload]  # shown as plain text


@pytest.mark.slow
def test_a_story_with_an_article_too_long_to_read_whole_says_so(tmp_path, monkeypatch):
    sentence = "Officials in Geneva said sentence number {} of the long report changes the ceasefire talks."
    long_text = " ".join(sentence.format(i) for i in range(MAX_ARTICLE_SENTENCES + 20))
    rows = [{"id": f"c{i}", "outlet": outlet, "country": "CH", "published_at": "2025-08-08T10:00:00Z",
             "title": "Geneva ceasefire talks resume", "text": text}
            for i, (outlet, text) in enumerate([("Long Ledger", long_text),
                                                ("Short Post", " ".join(sentence.format(i) for i in range(5)))])]
    source = tmp_path / "long.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    db, out = tmp_path / "long.db", tmp_path / "out"
    cli("run", source, "--db", db, "--out", out)
    cuts = pd.read_csv(out / "cuts.csv")
    assert cuts[["outlet", "sentences", "dropped"]].values.tolist() == [["Long Ledger", MAX_ARTICLE_SENTENCES + 20, 20]]
    monkeypatch.setenv("PERSPECTIVES_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["story"] = pd.read_csv(out / "articles.csv")["story_id"].iloc[0]
    at.run()
    notes = [m.value for m in at.markdown if "Not read to the end" in m.value]
    assert len(notes) == 1 and "Long Ledger" in notes[0] and "20 later sentences" in notes[0]


# The demo store replicated 20 times a week apart: 3,240 articles over five months.
COPIES = 20


@pytest.fixture(scope="module")
def archive(demo_run, tmp_path_factory):
    return replicate(demo_run["db"], tmp_path_factory.mktemp("archive") / "archive.db", COPIES)


def multi_outlet_stories_since(db, start: str | None) -> list[tuple[str, int]]:
    """(story id, its articles published since `start`) for the stories that two outlets covered since then."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT m.story_id, COUNT(*) FROM story_members m JOIN articles a ON a.id = m.article_id "
            "WHERE a.published_at >= COALESCE(?, '') GROUP BY m.story_id HAVING COUNT(DISTINCT a.outlet) >= 2 "
            "ORDER BY m.story_id", (start,)).fetchall()


def test_the_front_page_of_an_archive_shows_the_period_chosen(archive, monkeypatch):
    monkeypatch.setenv("PERSPECTIVES_DB", str(archive))
    with sqlite3.connect(archive) as conn:
        newest = pd.Timestamp(conn.execute("SELECT MAX(published_at) FROM articles").fetchone()[0])
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception and at.selectbox(key="period").value == "Last 48 hours"
    for period, start in [("Last 48 hours", newest - pd.Timedelta(hours=48)),
                          ("Last 7 days", newest - pd.Timedelta(days=7)), ("Everything", None)]:
        at.selectbox(key="period").set_value(period).run()
        listed = at.dataframe[0].value
        expected = multi_outlet_stories_since(archive, desk.iso(start) if start is not None else None)
        assert len(listed) == len(expected) and listed["n_articles"].sum() == sum(n for _, n in expected)
        if start is not None:
            assert (listed["first_seen"] >= start.strftime("%Y-%m-%d %H:%M")).all()
    assert len(expected) >= COPIES * 10  # everything: every copy's stories
    at.selectbox(key="period").set_value("Between dates").run()
    at.date_input(key="period_dates").set_value((pd.Timestamp("2025-09-11").date(), pd.Timestamp("2025-09-12").date()))
    at.run()
    assert at.dataframe[0].value["first_seen"].str[:10].between("2025-09-11", "2025-09-12").all()


def test_a_story_of_an_archive_opens_from_its_link(archive, monkeypatch, aug8_story_id, demo_tables):
    monkeypatch.setenv("PERSPECTIVES_DB", str(archive))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["story"] = f"r2-{aug8_story_id}"  # three months before the archive's newest article
    at.run()
    assert not at.exception
    outlets = demo_tables["takes"].query("story_id == @aug8_story_id")["outlet"]
    assert cards(at) == len(outlets)
    listed = at.dataframe[-1].value  # its articles: the copy's own, nothing of the others
    assert len(listed) == (demo_tables["articles"]["story_id"] == aug8_story_id).sum()
    assert listed["published_at"].str.startswith("2025-08-2").all()  # two weeks after the demo's August 7-8
