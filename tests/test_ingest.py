import bz2
import gzip
import json
import lzma
import sqlite3
import time
from collections import Counter
from datetime import datetime

import pandas as pd
import pytest

from perspectives.ingest import InputError, load_articles
from perspectives.ingest.schema import validate_row
from tests.conftest import cli

GOOD = {"id": "a1", "outlet": "Capitol Ledger", "title": "Deadline nears", "text": "Officials said talks go on.",
        "country": "us", "language": "EN", "published_at": "2025-08-08 09:30:00+02:00",
        "url": "https://capitol-ledger.example/a1", "gold_story": "aug8"}


def write_jsonl(path, records):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def write_frame(frame: pd.DataFrame, path):
    """The frame as the file its suffix names (.csv, .tsv, .json as pandas writes it by default, .jsonl, .parquet, or
    a workbook as Excel or LibreOffice saves it: .xlsx, .ods)."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif path.suffix == ".json":
        frame.to_json(path)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif path.suffix in {".xlsx", ".ods"}:
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl", ".parquet", ".xlsx", ".ods"])
def test_each_format_loads_normalises_and_keeps_extra_columns(tmp_path, suffix):
    frame = pd.DataFrame([GOOD, {**GOOD, "id": "a2", "country": "", "language": "sv", "published_at": ""}])
    result = load_articles(write_frame(frame, tmp_path / f"articles{suffix}"))
    assert len(result.rejects) == 0
    first = result.articles.iloc[0]
    assert (first["country"], first["language"]) == ("US", "en")
    assert first["published_at"] == "2025-08-08T07:30:00Z"  # converted to UTC
    assert first["extra"] == {"gold_story": "aug8"}
    assert result.articles.iloc[1]["country"] is None


@pytest.mark.parametrize("shape", [
    lambda rows: rows,
    lambda rows: {"status": "ok", "articles": rows},
    lambda rows: json.loads(pd.DataFrame(rows).to_json(orient="index")),
    lambda rows: json.loads(pd.DataFrame(rows).to_json()),
])
def test_a_json_file_of_articles_is_read_in_each_common_shape(tmp_path, shape):
    rows = [{"id": "1", "title": "Quake hits coast", "extra": {"desk": "world"}}, {"id": "2", "text": "Toll rises."},
            {"id": "3", "title": ""}]
    path = tmp_path / "articles.json"
    path.write_text(json.dumps(shape(rows)), encoding="utf-8")
    result = load_articles(path, detect_languages=False)
    assert result.articles[["id", "title", "text"]].values.tolist() == [
        ["1", "Quake hits coast", ""], ["2", "", "Toll rises."]]
    assert result.rejects[["row", "id"]].values.tolist() == [[3, "3"]]  # its place in the array, from 1


def test_an_item_of_a_json_array_that_is_not_an_object_is_rejected_with_its_place(tmp_path):
    path = tmp_path / "articles.json"
    path.write_text(json.dumps([{"title": "Quake hits coast"}, "Toll rises", {"title": "Rescuers dig"}]))
    result = load_articles(path, detect_languages=False)
    assert result.articles["id"].tolist() == ["articles.json:1", "articles.json:3"]
    assert result.rejects[["row", "reason"]].values.tolist() == [
        [2, "invalid JSON (an item of the array must hold one object)"]]


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_workbooks_first_sheet_with_cells_is_read_as_text(tmp_path, suffix):
    path = tmp_path / f"desk{suffix}"
    first = pd.DataFrame({"ID": [17, 18, 19], "Headline": ["Quake hits coast", "", "Toll rises"],
                          "Date": [datetime(2025, 8, 7, 12, 30), datetime(2025, 8, 7), None], "Desk": [1.5, 2, 3]})
    with pd.ExcelWriter(path) as workbook:
        first.to_excel(workbook, sheet_name="articles", index=False)
        pd.DataFrame({"id": ["other"], "title": ["Another sheet's row"]}).to_excel(workbook, sheet_name="notes",
                                                                                   index=False)
    result = load_articles(path, detect_languages=False)
    assert result.articles[["id", "title", "published_at"]].values.tolist() == [
        ["17", "Quake hits coast", "2025-08-07T12:30:00Z"], ["19", "Toll rises", None]]
    assert [extra["Desk"] for extra in result.articles["extra"]] == ["1.5", "3"]
    assert result.rejects[["row", "id"]].values.tolist() == [[3, "18"]]  # the sheet's row, under its header
    assert result.columns_read_as == {"ID": "id", "Headline": "title", "Date": "published_at"}
    with pd.ExcelWriter(path) as workbook:  # a sheet without a cell before the one that has them
        pd.DataFrame().to_excel(workbook, sheet_name="cover", index=False)
        first.to_excel(workbook, sheet_name="articles", index=False)
    assert load_articles(path, detect_languages=False).articles["id"].tolist() == ["17", "19"]
    with pd.ExcelWriter(path) as workbook:
        pd.DataFrame().to_excel(workbook, sheet_name="cover", index=False)
    with pytest.raises(InputError, match="the workbook is empty"):
        load_articles(path)


@pytest.mark.parametrize("compression", ["gzip", "bz2", "xz"])
@pytest.mark.parametrize("name", ["articles.csv", "articles.TSV", "articles.jsonl", "articles.json"])
def test_a_compressed_text_file_is_read_as_its_inner_format(tmp_path, compression, name):
    frame = pd.DataFrame([GOOD, {**GOOD, "id": "a2", "title": "Talks, resumed; \"again\""}])
    plain = load_articles(write_frame(frame, tmp_path / name.lower()), detect_languages=False).articles
    module = {"gzip": gzip, "bz2": bz2, "xz": lzma}[compression]
    packed = tmp_path / f"{name}.{'gz' if compression == 'gzip' else compression}"
    packed.write_bytes(module.compress((tmp_path / name.lower()).read_bytes()))
    result = load_articles(packed, detect_languages=False)
    assert len(result.rejects) == 0
    assert result.articles.equals(plain)


def test_a_missing_outlet_is_read_from_the_link_or_named_unknown(tmp_path):
    rows = [{**GOOD, "id": "named", "outlet_source": "desk"},  # a column of the user's own, by the same name
            {**GOOD, "id": "linked", "outlet": " ", "url": "https://www.Ledger.example/x"},
            {"id": "bare", "title": "deadline nears talks"}]
    path = tmp_path / "a.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    titles_only = tmp_path / "titles.csv"
    titles_only.write_text("id,title\nt1,deadline nears talks\n", encoding="utf-8")
    result = load_articles(path, titles_only, detect_languages=False)
    assert len(result.rejects) == 0
    assert list(result.articles["outlet"]) == ["Capitol Ledger", "ledger.example", "unknown", "unknown"]
    assert [extra.get("outlet_source") for extra in result.articles["extra"]] == ["desk", "url", "missing", "missing"]
    assert result.outlets_missing == 3


@pytest.mark.parametrize("title, split", [
    ("Volcano erupts in Iceland - The Guardian", ("Volcano erupts in Iceland", "The Guardian")),
    ("Talks resume | World news | The Guardian", ("Talks resume | World news", "The Guardian")),
    ("Blue Lagoon evacuated — SVT Nyheter", ("Blue Lagoon evacuated", "SVT Nyheter")),
    ("Tariffs delayed, WASHINGTON — - usatoday.com", ("Tariffs delayed, WASHINGTON", "usatoday.com")),  # one run
    ("Iceland eruption: flights resume", None),  # a colon names the story
    ("Le slogan « Les Japonais d'abord » gagne", None),  # guillemets quote
    ("Grain deal - talks in Istanbul resume after a week of strikes", None),  # too long for a site's name
    ("Who is to blame? - Ask the panel.", None),  # a sentence
    ("- The Guardian", None),  # nothing before it
    ("Covid-19 cases rise again", None),  # a hyphen within a word
])
def test_a_titles_tail_after_a_separator_is_read_where_it_could_be_a_site_name(title, split):
    from perspectives.ingest.titles import split_tail

    assert split_tail(title) == split


@pytest.mark.parametrize("tail, outlet, named", [
    ("The New York Times", "New York Times (News)", True),
    ("The Guardian", "theguardian.com", True),
    ("SVT Nyheter", "svt.se", True),  # the site's name with more after it
    ("NYTimes.com", "nytimes.com", True),
    ("CNN's Jake Tapper", "CNN", False),  # a segment that opens with the name is not the name
    ("Fox", "Fox News", False),
    ("Unknown", "unknown", False),  # rows without an outlet name none
])
def test_a_tail_names_the_outlet_by_its_words_or_its_letters(tail, outlet, named):
    from perspectives.ingest.titles import names_outlet

    assert names_outlet(tail, outlet) is named


def test_site_names_ending_a_files_titles_are_read_off_and_the_title_given_kept(tmp_path):
    rows = [
        # the outlet's own name: one title is enough
        {"id": "own", "outlet": "New York Times (News)", "title": "Senate passes the bill - The New York Times"},
        {"id": "host", "url": "https://www.theguardian.com/world/1", "title": "Talks resume - The Guardian"},
        # no outlet: a tail ending three titles is a site's name, and a section's name before it too
        *({"id": f"g{i}", "title": f"{headline} | World news | The Guardian"} for i, headline in
          enumerate(["Ceasefire deadline passes", "Grain ship docks in Gdansk", "Quake jolts coastal towns"])),
        # a tail ending two titles, or one, stays: it may be the story's own words
        *({"id": f"s{i}", "title": f"{headline} - Strike talks"}
          for i, headline in enumerate(["Unions meet", "Day two"])),
        {"id": "dash", "title": "Nytt vulkanutbrott på Island – Blå lagunen utrymd"},
    ]
    path = tmp_path / "titles.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    loaded = load_articles(path, detect_languages=False)
    assert loaded.site_names_read_off == 5
    articles = loaded.articles.set_index("id")
    assert articles.loc["own", "title"] == "Senate passes the bill"
    assert articles.loc["host", ["title", "outlet"]].tolist() == ["Talks resume", "theguardian.com"]
    # rows without an outlet take the site's name their title ended in; those whose tail stays keep none
    assert list(articles.loc[["g0", "s0"], "outlet"]) == ["The Guardian", "unknown"]
    assert articles.loc["g0", "extra"]["outlet_source"] == "title"
    assert list(articles.loc[["g0", "g1", "g2"], "title"]) == [
        "Ceasefire deadline passes", "Grain ship docks in Gdansk", "Quake jolts coastal towns"]
    assert articles.loc["g1", "extra"]["title_given"] == "Grain ship docks in Gdansk | World news | The Guardian"
    kept = ["s0", "s1", "dash"]
    assert list(articles.loc[kept, "title"]) == [row["title"] for row in rows[-3:]]
    assert not any("title_given" in extra for extra in articles.loc[kept, "extra"])
    said = cli("ingest", path, "--db", tmp_path / "s.db", "--rejects", tmp_path / "rejects.csv").stdout
    assert "5 titles ended in a site or section name ('Headline - Outlet'), read off" in said


def test_a_news_api_response_is_read_with_its_sources_names_and_its_cut_texts(tmp_path):
    # NewsAPI's shape: the source an object, the title ending in its name, the content cut at 200 characters
    response = {"status": "ok", "totalResults": 2, "articles": [
        {"source": {"id": "harbour-gazette", "name": "Harbour Gazette"}, "author": None,
         "title": "Grain ship docks in Gdansk - Harbour Gazette", "description": "A second grain ship docked.",
         "url": "https://harbour-gazette.example/grain", "publishedAt": "2025-08-08T09:30:00Z",
         "content": "A second grain ship docked in Gdansk after the strike ended … [+2345 chars]"},
        {"source": {"id": None, "name": None}, "title": {"rendered": "Ferry strike ends"},
         "url": "https://ferries.example/strike", "content": "Crews returned to work. [+12 chars]"},
        {"source": {"code": "x1"}, "title": "Port fees rise", "url": "https://ports.example/fees"}]}
    path = tmp_path / "everything.json"
    path.write_text(json.dumps(response), encoding="utf-8")
    first, second, third = load_articles(path, detect_languages=False).articles.to_dict("records")
    assert (first["outlet"], first["title"]) == ("Harbour Gazette", "Grain ship docks in Gdansk")
    assert first["text"] == "A second grain ship docked in Gdansk after the strike ended …"
    assert first["extra"]["text_chars_cut"] == 2345 and first["extra"]["outlet_given"]["id"] == "harbour-gazette"
    assert first["extra"]["description"] == "A second grain ship docked."  # passed through, text being the content
    # an object naming nothing is a missing value; one of other members is kept as JSON
    assert (second["outlet"], second["title"], second["text"]) == ("ferries.example", "Ferry strike ends",
                                                                   "Crews returned to work.")
    assert third["outlet"] == '{"code": "x1"}'


def test_html_and_character_references_are_read_as_the_text_they_show(tmp_path):
    # a WordPress export: fields as objects, the title with references, the content as HTML
    posts = [{"id": 12, "date": "2025-08-08T09:30:00", "link": "https://ledger.example/?p=12",
              "title": {"rendered": "Trump&#8217;s deadline passes"},
              "content": {"rendered": "<p>The deadline passed at noon.</p>\n<p>Talks go on &amp; markets wait."
                                      "<br>Oil fell.</p><script>track()</script>", "protected": False}},
             {"id": 13, "title": "AT&T and R&D: 3 < 5 &copy", "text": "Profits rose &gt; 5%; AT&T&#x27;s too."}]
    path = tmp_path / "posts.json"
    path.write_text(json.dumps(posts), encoding="utf-8")
    post, plain = load_articles(path, detect_languages=False).articles.to_dict("records")
    assert post["title"] == "Trump’s deadline passes"
    assert post["text"] == "The deadline passed at noon.\n\nTalks go on & markets wait.\n\nOil fell."
    assert post["extra"]["markup"] == "html" and post["extra"]["text_given"]["protected"] is False
    assert (plain["title"], plain["text"]) == ("AT&T and R&D: 3 < 5 &copy", "Profits rose > 5%; AT&T's too.")
    assert "markup" not in plain["extra"]


def test_one_outlets_repeated_tail_is_not_anothers(tmp_path):
    frame = pd.DataFrame({"id": ["a1", "a2", "a3", "b1"], "outlet": ["Ledger", "Ledger", "Ledger", "Kuriren"],
                          "title": ["Talks open - Live", "Deal signed - Live", "Ship docks - Live", "Vote set - Live"],
                          "title_en": [None, None, None, "Vote set - Live"]})
    articles = load_articles(frame, detect_languages=False).articles
    assert list(articles["title"]) == ["Talks open", "Deal signed", "Ship docks", "Vote set - Live"]
    assert articles["title_en"][3] == "Vote set - Live"


FOOTER = "Follow the Ledger on Facebook and Instagram. Copyright 2025 Ledger Media. All rights reserved."
STORIES = ["Talks on the ceasefire opened in Geneva on Monday.", "A second grain ship docked in Gdansk at dawn.",
           "The quake damaged two bridges near the coast.", "Rail workers voted to end their strike."]


def test_an_outlets_header_and_footer_are_read_off_its_bodies_and_kept(tmp_path):
    rows = [
        # the Ledger's pages as a scraper keeps them: a footer paragraph (once glued to the body), an ad's line
        *({"id": f"l{i}", "outlet": "Ledger", "title": f"Story {i}",
           "text": f"{body}\n\nAdvertisement\n\nMore in part {i}.\n\n{FOOTER}" if i else f"{body} {FOOTER}"}
          for i, body in enumerate(STORIES)),
        # a sentence in three of ten bodies of one outlet is the stories', not the site's
        *({"id": f"k{i}", "outlet": "Kuriren", "title": f"Story {i}",
           "text": f"{STORIES[i % 4]} Item {i}." + (" Markets fell sharply on Monday." if i < 3 else "")}
          for i in range(10)),
        # the same body under three titles of one outlet is a stub (a paywall's), whatever its share
        *({"id": f"p{i}", "outlet": "Kuriren", "title": f"Premium story {i}",
           "text": "Subscribe to continue reading. Already a subscriber? Sign in."} for i in range(3)),
        # the same text without titles is all the outlet said
        *({"id": f"w{i}", "outlet": "Wire", "text": "Quake hits the coast."} for i in range(3)),
        # one article at three links of a small outlet (its title and body three times) is that article's copies
        *({"id": f"c{i}", "outlet": "Courier", "title": "Quake topples buildings", "text": STORIES[0]}
          for i in range(3)),
        {"id": "c3", "outlet": "Courier", "title": "Story 1", "text": STORIES[1]},
    ]
    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    loaded = load_articles(path, detect_languages=False)
    assert loaded.boilerplate_read_off == 7
    articles = loaded.articles.set_index("id")
    assert list(articles.loc[["p0", "p2"], "text"]) == ["", ""]
    assert articles.loc["p1", "extra"]["text_boilerplate"] == ["Subscribe to continue reading. Already a subscriber? "
                                                               "Sign in."]
    assert articles.loc["l0", "text"] == STORIES[0]
    assert articles.loc["l1", "text"] == f"{STORIES[1]}\n\nMore in part 1."
    assert articles.loc["l1", "extra"]["text_boilerplate"] == ["Advertisement", FOOTER]  # lines read off whole
    assert articles.loc["l0", "extra"]["text_boilerplate"] == [  # the footer's sentences read off a body's line
        "Follow the Ledger on Facebook and Instagram.", "Copyright 2025 Ledger Media.", "All rights reserved."]
    kept = [row for row in rows if row["outlet"] != "Ledger" and not row["id"].startswith("p")]
    assert list(articles.loc[[row["id"] for row in kept], "text"]) == [row["text"] for row in kept]
    said = cli("ingest", path, "--db", tmp_path / "s.db", "--rejects", tmp_path / "rejects.csv").stdout
    assert "7 bodies held lines or sentences most of their outlet's bodies share" in said


def test_sources_cited_at_the_end_of_several_bodies_are_read_off_and_a_texts_own_parentheses_kept():
    rows = [
        {"id": "b0", "text": "A quake kills 23 people in Kerman. (Reuters) (AP, BBC News)"},
        {"id": "b1", "text": "Ecuador's grid fails for six hours (Reuters)"},
        {"id": "b2", "text": "Шторм обрушился на Геную. (Reuters)"},
        {"id": "b3", "text": "Iceland's Independence Party comes first (19 seats) (AP)"},
        {"id": "b4", "text": "Rail strike ends after two days. (AP)"},
        # a parenthesis of the text's own, a source cited once, one cited mid-text, one too long to be a name
        {"id": "b5", "text": "The Althing's largest party won (19 seats)"},
        {"id": "b6", "text": "Flights resume in Catania. (Kyiv Independent)"},
        {"id": "b7", "text": "Reuters (AP) reports talks resume in Geneva today."},
        {"id": "b8", "text": "Talks resume (as Reuters and AP and the BBC all reported on Monday evening)"},
    ]
    articles = load_articles(pd.DataFrame(rows), detect_languages=False).articles.set_index("id")
    assert list(articles.loc[["b0", "b1", "b2", "b3", "b4"], "text"]) == [
        "A quake kills 23 people in Kerman.", "Ecuador's grid fails for six hours", "Шторм обрушился на Геную.",
        "Iceland's Independence Party comes first", "Rail strike ends after two days."]
    assert articles.loc["b0", "extra"]["text_boilerplate"] == ["(Reuters) (AP, BBC News)"]
    assert articles.loc["b3", "extra"]["text_boilerplate"] == ["(19 seats) (AP)"]  # the run with a source, whole
    assert list(articles.loc[["b5", "b6", "b7", "b8"], "text"]) == [row["text"] for row in rows[5:]]
    assert not any("text_boilerplate" in articles.loc[id_, "extra"] for id_ in ("b5", "b6", "b7", "b8"))


def test_every_blurb_closed_by_the_agencies_it_cites_is_read_back_to_its_own_text():
    from perspectives.shapes import sources_cited
    from tests.conftest import BLURBS_55

    given = pd.read_json(BLURBS_55, lines=True, dtype={"published_at": str})
    cited = sources_cited(given.assign(text_en=None))
    assert cited["text"].str.endswith(")").all()
    loaded = load_articles(cited, detect_languages=False).articles.set_index("id")
    assert (loaded.loc[given["id"], "text"].to_numpy() == given["text"].to_numpy()).all()


SPANISH = ["El gobierno anunció nuevas medidas para contener la inflación durante el próximo año.",
           "Miles de personas se manifestaron en la capital contra la reforma de las pensiones.",
           "El banco central mantuvo los tipos de interés sin cambios por tercera vez consecutiva.",
           "Las lluvias torrenciales obligaron a evacuar a cientos de familias en el sur del país."]
ENGLISH = ["The government announced new measures to curb inflation over the coming year.",
           "Thousands of people marched in the capital against the pension reform.",
           "The central bank held interest rates steady for a third time in a row.",
           "Torrential rain forced hundreds of families to leave their homes in the south."]


def test_a_language_given_for_every_row_that_the_texts_contradict_is_read_from_them(tmp_path):
    # a file whose language column is a default: "en" said of Spanish rows too
    rows = [{"id": f"e{i}", "title": f"Report {i}", "text": text, "language": "en"} for i, text in enumerate(ENGLISH)]
    rows += [{"id": f"s{i}", "title": f"Informe {i}", "text": text, "language": "en"} for i, text in enumerate(SPANISH)]
    # a file whose Danish rows are Danish keeps them so, one read as Norwegian included (close languages)
    rows += [{"id": "d", "title": "Valg", "text": "Ved valget til Stortinget i Norge fik centrum-venstre-fløjen 88 af "
              "de 169 mandater, og regeringen fortsætter.", "language": "da"}]
    path = tmp_path / "labelled.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    loaded = load_articles(path)
    assert loaded.languages_contradicted == 4
    articles = loaded.articles.set_index("id")
    assert list(articles["language"]) == ["en"] * 4 + ["es"] * 4 + ["da"]
    assert articles.loc["s0", "extra"] | {"language_given": "en", "language_source": "detected"} == \
        articles.loc["s0", "extra"]
    assert "language_given" not in articles.loc["e0", "extra"]
    assert load_articles(path, detect_languages=False).articles["language"].eq(["en"] * 8 + ["da"]).all()
    said = cli("ingest", path, "--db", tmp_path / "s.db", "--rejects", tmp_path / "rejects.csv").stdout
    assert "4 rows were in another language than their file gave for most of its rows" in said


def test_a_json_line_holding_unicode_line_breaks_is_one_row(tmp_path):
    texts = ["Talks resumed.\u2028Delegates met.", "Quake hits.\u2029Toll rises.", "Ship docks.\x1cCargo unloaded."]
    path = tmp_path / "breaks.jsonl"
    path.write_text("".join(json.dumps({"id": str(k), "text": text}, ensure_ascii=False) + "\r\n"
                            for k, text in enumerate(texts)), encoding="utf-8")
    loaded = load_articles(path, detect_languages=False)
    assert len(loaded.rejects) == 0 and list(loaded.articles["text"]) == texts


def test_text_once_read_in_the_wrong_encoding_is_mended(tmp_path):
    given = {"id": "ru", "outlet": "Коммерсантъ", "title": "Переговоры в Женеве возобновились",
             "text": "Делегации встретились в понедельник — «без предварительных условий»."}
    garbled = {key: value.encode("utf-8").decode("latin-1") if key != "id" else value for key, value in given.items()}
    assert garbled["title"].startswith("Ð\x9fÐµÑ\x80")  # as a tool reading UTF-8 as Latin-1 saved it
    path = tmp_path / "garbled.jsonl"
    rows = [garbled, {"id": "fr", "outlet": "Le Café", "title": "Un café à Genève", "text": "Les délégués sont là."}]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    articles = load_articles(path, detect_languages=False).articles.set_index("id")
    assert articles.loc["ru", ["outlet", "title", "text"]].tolist() == [given["outlet"], given["title"], given["text"]]
    assert articles.loc["ru", "extra"]["encoding_repaired"] == ["title", "text", "outlet"]
    assert articles.loc["fr", "title"] == "Un café à Genève" and "encoding_repaired" not in articles.loc["fr", "extra"]


@pytest.mark.parametrize("name, content", [
    ("semicolons.csv", 'id;title;text\n1;Quake hits, coast;"Big quake; town."\n2;Toll rises;Rescuers dig, 3 found.\n'),
    ("tabs.tsv", "id\ttitle\ttext\n1\tQuake hits, coast\tBig quake; town.\n2\tToll rises\tRescuers dig, 3 found.\n"),
    ("tabs.csv", "id\ttitle\ttext\n1\tQuake hits, coast\tBig quake; town.\n2\tToll rises\tRescuers dig, 3 found.\n"),
    ("old-mac.csv", 'id;title;text\r1;Quake hits, coast;"Big quake; town."\r2;Toll rises;Rescuers dig, 3 found.\r'),
])
def test_a_spreadsheets_other_delimiters_are_read(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = load_articles(path, detect_languages=False)
    assert len(result.rejects) == 0
    assert result.articles[["id", "title", "text"]].values.tolist() == [
        ["1", "Quake hits, coast", "Big quake; town."], ["2", "Toll rises", "Rescuers dig, 3 found."]]


def test_a_file_without_ids_names_each_row_by_the_file_and_its_row(tmp_path):
    path = tmp_path / "titles.csv"
    path.write_text("title,language,gold\nquake hits coast,en,q\n,en,x\nquake toll rises,en,q\n", encoding="utf-8")
    result = load_articles(path, detect_languages=False)
    assert list(result.articles["id"]) == ["titles.csv:2", "titles.csv:4"]  # the header is row 1
    assert result.articles["extra"][0] == {"gold": "q", "id_source": "row", "outlet_source": "missing"}
    assert result.ids_from_rows == 2 and result.rejects["reason"].tolist() == ["missing title and text"]
    db = tmp_path / "s.db"
    said = cli("ingest", path, "--db", db, "--rejects", tmp_path / "rejects.csv").stdout
    assert "2 rows without an id: each named by its file and row" in said and "2 new" in said
    with path.open("a", encoding="utf-8") as more:  # rows appended keep the ids of the rows before them
        more.write("quake aid arrives,en,q\n")
    assert "1 new, 0 updated, 2 unchanged" in cli("ingest", path, "--db", db, "--rejects", tmp_path / "r.csv").stdout
    ids_in_a_column = write_jsonl(tmp_path / "ids.jsonl", [{"id": "k1", "title": "a"}, {"title": "b"}])
    assert load_articles(ids_in_a_column, detect_languages=False).rejects["reason"].tolist() == ["missing id"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_columns_under_common_other_names_are_read_as_the_schemas(tmp_path, suffix):
    frame = pd.DataFrame([{"ID": "h1", "Source": "Capitol Ledger", "Headline": "Deadline nears",
                           "body": "Officials said talks go on.", "summary": "Talks go on.", "date": "2025-08-08",
                           "lang": "en", "link": "https://capitol-ledger.example/h1", "story": "aug8"}])
    result = load_articles(write_frame(frame, tmp_path / f"renamed{suffix}"), detect_languages=False)
    assert len(result.rejects) == 0 and result.outlets_missing == 0
    article = result.articles.iloc[0]
    assert (article["id"], article["outlet"], article["title"]) == ("h1", "Capitol Ledger", "Deadline nears")
    assert (article["text"], article["published_at"], article["language"]) == (
        "Officials said talks go on.", "2025-08-08T00:00:00Z", "en")
    assert article["url"] == "https://capitol-ledger.example/h1"
    # body came first among the text's names; a gold label's usual name is never read as content
    assert article["extra"] == {"summary": "Talks go on.", "story": "aug8"}
    assert result.columns_read_as == {"ID": "id", "Source": "outlet", "Headline": "title", "body": "text",
                                      "link": "url", "lang": "language", "date": "published_at"}


def test_a_columns_name_is_read_however_it_is_spelt(tmp_path):
    # The short-text clustering collections' own layout (event tweets, news titles): {"Id", "clusterNo",
    # "textCleaned"}; and names with spaces or hyphens, as spreadsheets head their columns.
    path = write_jsonl(tmp_path / "short.jsonl", [{"Id": 7, "clusterNo": 65, "textCleaned": "quake hits coast"},
                                                  {"Id": 8, "clusterNo": 65, "textCleaned": "quake toll rises"}])
    result = load_articles(path, detect_languages=False)
    assert result.articles[["id", "text"]].values.tolist() == [["7", "quake hits coast"], ["8", "quake toll rises"]]
    assert result.articles["extra"][0] == {"clusterNo": 65, "outlet_source": "missing"}
    assert result.columns_read_as == {"Id": "id", "textCleaned": "text"}
    spelt = tmp_path / "spelt.csv"
    spelt.write_text("Article ID,Head-line,Published At,Full Text\na1,Quake hits,2025-08-07,A quake hit.\n")
    article = load_articles(spelt, detect_languages=False).articles.iloc[0]
    assert (article["id"], article["title"], article["published_at"], article["text"]) == (
        "a1", "Quake hits", "2025-08-07T00:00:00Z", "A quake hit.")


def test_a_schema_column_present_is_never_replaced_by_another_name(tmp_path):
    rows = [{**GOOD, "source": "rss", "date": "1999-01-01"}]
    path = write_jsonl(tmp_path / "both.jsonl", rows + [{"doc_id": "d2", "headline": "Only a headline"}])
    result = load_articles(path, detect_languages=False)
    first, second = result.articles.iloc[0], result.articles.iloc[1]
    assert (first["outlet"], first["published_at"]) == ("Capitol Ledger", "2025-08-08T07:30:00Z")
    assert first["extra"] == {"gold_story": "aug8", "source": "rss", "date": "1999-01-01"}
    assert (second["id"], second["title"], second["outlet"]) == ("d2", "Only a headline", "unknown")
    said = cli("ingest", path, "--db", tmp_path / "s.db", "--rejects", tmp_path / "rejects.csv").stdout
    assert "columns read as: doc_id -> id, headline -> title" in said and "1 rows without an outlet" in said


@pytest.mark.parametrize("change, reason", [
    ({"id": ""}, "missing id"),
    ({"title": None, "text": " "}, "missing title and text"),
    ({"url": "javascript:alert(1)"}, "invalid url"),
])
def test_every_unusable_row_is_rejected_with_its_reason(tmp_path, change, reason):
    path = write_jsonl(tmp_path / "a.jsonl", [{**GOOD, "id": "ok"}, {**GOOD, **change}])
    result = load_articles(path)
    assert list(result.articles["id"]) == ["ok"]
    assert len(result.rejects) == 1
    reject = result.rejects.iloc[0]
    assert reject["reason"].startswith(reason)
    assert reject["row"] == 2
    assert json.loads(reject["record"])["outlet"] == change.get("outlet", GOOD["outlet"])


def test_a_date_or_country_not_read_costs_the_field_not_the_article(tmp_path):
    dates = ["last Tuesday", "N/A", "-1", "0", "0000-00-00", "0001-01-01T00:00:00Z", "9999-12-31",
             "1970-01-01T00:00:00Z", "1970-01-01T01:00:00+01:00", "1900-01-01", "1899-12-30", "2025-08-08"]
    countries = ["Narnia", "XQ", "EU", "International", "n/a", "UK", "U.S.", "the Netherlands", "Scotland",
                 "Deutschland", "Россия", "Turkey"]
    rows = [{**GOOD, "id": f"r{i}", "text": f"Report {i} of the day.", "published_at": date, "country": country}
            for i, (date, country) in enumerate(zip(dates, countries))]
    result = load_articles(write_jsonl(tmp_path / "a.jsonl", rows), detect_languages=False)
    assert result.rejects.empty
    articles = result.articles.set_index("id")
    assert articles["published_at"].isna().tolist() == [True] * 11 + [False]
    assert articles.loc["r11", "published_at"] == "2025-08-08T00:00:00Z"
    assert articles["country"].tolist() == [None] * 5 + ["GB", "US", "NL", "GB", "DE", "RU", "TR"]
    assert articles.loc["r0", "extra"] == {"published_at_given": "last Tuesday", "country_given": "Narnia",
                                           "gold_story": "aug8"}
    assert "published_at_given" not in articles.loc["r11", "extra"]
    assert result.values_unread["published_at"] == Counter({date: 1 for date in dates[:11]})
    assert result.values_unread["country"] == Counter({country: 1 for country in countries[:5]})
    said = cli("ingest", tmp_path / "a.jsonl", "--db", tmp_path / "s.db", "--rejects", tmp_path / "r.csv").stdout
    assert "11 rows' dates could not be read ('last Tuesday', 'N/A', '-1'): those rows are kept without" in said
    assert "5 rows' countries could not be read ('Narnia', 'XQ', 'EU')" in said


def test_feed_dates_outside_what_the_store_holds_or_placeholders_are_no_dates():
    from perspectives.ingest.normalise import utc_from_struct

    def parsed(year, month=1, day=1):
        return time.struct_time((year, month, day, 0, 0, 0, 0, 1, 0))

    assert [utc_from_struct(parsed(year)) for year in (1, 1677, 1970, 2262, 9999)] == [None] * 5
    assert utc_from_struct(parsed(2025, 8, 8)) == "2025-08-08T00:00:00Z"


def test_mongodb_extended_json_ids_and_dates_are_read(tmp_path):
    row = {"_id": {"$oid": "65ab12"}, "headline": "Quake hits", "date": {"$date": {"$numberLong": "1754638200000"}},
           "updated": {"$date": "2025-08-08T07:30:00Z"}}
    article = load_articles(write_jsonl(tmp_path / "m.jsonl", [row]), detect_languages=False).articles.iloc[0]
    assert (article["id"], article["published_at"]) == ("65ab12", "2025-08-08T07:30:00Z")


@pytest.mark.parametrize("stamp", [1754638200, 1754638200000, "1754638200", "2025-08-08T09:30:00+02:00"])
def test_unix_time_in_seconds_or_milliseconds_is_a_date(tmp_path, stamp):
    # pandas' to_json writes datetimes as epoch milliseconds by default.
    result = load_articles(write_jsonl(tmp_path / "a.jsonl", [{**GOOD, "published_at": stamp}]))
    assert list(result.articles["published_at"]) == ["2025-08-08T07:30:00Z"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_title_alone_or_a_text_alone_is_an_article(tmp_path, suffix):
    # What feeds give when extraction fails: a headline, or a one-line summary; a file may carry only one column.
    rows = [{"id": "t", "outlet": "X", "title": "Deadline nears"}, {"id": "s", "outlet": "X", "text": "Talks go on."}]
    path = tmp_path / f"a{suffix}"
    if suffix == ".csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    else:
        write_jsonl(path, rows)
    result = load_articles(path)
    assert len(result.rejects) == 0
    assert result.articles[["id", "title", "text"]].values.tolist() == [["t", "Deadline nears", ""],
                                                                        ["s", "", "Talks go on."]]


def test_broken_json_lines_and_duplicate_ids_are_rejected_not_dropped(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [GOOD, "{not json", "[1, 2]", GOOD])
    result = load_articles(path)
    assert len(result.articles) == 1
    assert list(result.rejects["row"]) == [2, 3, 4]
    reasons = list(result.rejects["reason"])
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1] == "invalid JSON (a line must hold one object)"
    assert reasons[2] == "duplicate id (first seen at a.jsonl row 1)"


def test_duplicate_ids_across_files_are_rejected(tmp_path):
    first = write_jsonl(tmp_path / "one.jsonl", [GOOD])
    second = write_jsonl(tmp_path / "two.jsonl", [GOOD])
    result = load_articles(first, second)
    assert len(result.articles) == 1
    assert result.rejects.iloc[0]["file"].endswith("two.jsonl")


@pytest.mark.parametrize("name, content, message", [
    ("a.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    ("a.csv", "id,outlet,title,text\n1,Le Veilleur,Été,Très chaud\n".encode("latin-1"), "not UTF-8 encoded"),
    ("a.csv", b"id,outlet,kicker\n1,X,Y\n", "no title or text column"),
    ("a.csv", b'id,outlet,title,text\n1,X,"Y,Z\n2,X,Y,Z,extra,more\n', "not a readable CSV file"),
    ("a.csv", b"", "the file is empty"),
    ("a.jsonl", b'{"id": "1", "outlet": "X"}\n', "no title or text column"),
    ("a.parquet", b"PAR1 this is not parquet", "not a readable Parquet file"),
    ("a.xlsx", b"PK\x03\x04 not a workbook", "not a readable spreadsheet"),
    ("a.ods", b"whatever", "not a readable spreadsheet"),
    ("a.txt", b"whatever", "unsupported file type '.txt' (use .csv, .tsv, .json, .jsonl, .parquet, .xlsx or .ods;"),
    ("a.parquet.gz", b"whatever", "unsupported file type '.parquet.gz'"),
    ("a.csv.gz", b"id,title\n1,x\n", "not a readable gz file"),
    ("a.jsonl.xz", b"\xfd7zXZ\x00 cut short", "not a readable xz file"),
    ("a.json", b'[{"id": "1", "title": "x"},\n {"id": "2" "title": "y"}]', "invalid JSON (Expecting ',' delimiter at "
                                                                             "line 2"),
    ("a.json", b'"just a string"', "not a list of articles"),
    ("a.json", b'{"articles": [{"id": "1", "title": "x"}], "authors": [{"name": "y"}]}', "not a list of articles"),
    ("a.json", b"[]", "the file is empty"),
    ("a.json", b"[" * 100_000 + b"]" * 100_000, "invalid JSON: nested too deeply"),
])
def test_unusable_files_raise_one_clear_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_articles(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


ACCENTED = pd.DataFrame({"id": ["1", "2"], "outlet": ["Le Veilleur", "Asahi Dayori"],
                         "title": ["Été brûlant : 5 € de plus", "猛暑で電力需給ひっ迫"],
                         "text": ["Très chaud.", "東京で40度。"]})


@pytest.mark.parametrize("name, encoding, rows", [
    ("a.csv", "cp1252", [0]),  # Excel's "CSV" on Western Windows
    ("a.csv.gz", "cp1252", [0]),
    ("a.jsonl", "shift_jis", [1]),
    ("a.tsv", "utf-16", [0, 1]),
])
def test_a_text_file_in_another_encoding_loads_when_it_is_named(tmp_path, name, encoding, rows):
    frame = ACCENTED.iloc[rows]
    text = frame.to_json(orient="records", lines=True, force_ascii=False) if ".jsonl" in name else \
        frame.to_csv(index=False, sep="\t" if name.endswith(".tsv") else ",")
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode(encoding)) if name.endswith(".gz") else text.encode(encoding))
    result = load_articles(path, encoding=encoding, detect_languages=False)
    assert result.articles[["title", "text"]].values.tolist() == frame[["title", "text"]].values.tolist()


def test_a_byte_order_mark_is_read_without_naming_the_encoding(tmp_path):
    """Excel's "Unicode text" is UTF-16 with a byte-order mark, tab-separated: the mark declares the encoding."""
    for encoding in ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"]:
        path = tmp_path / f"{encoding}.tsv"
        path.write_bytes(("\ufeff" if encoding == "utf-16-be" else "").encode(encoding) +
                         ACCENTED.to_csv(index=False, sep="\t").encode(encoding))
        articles = load_articles(path, detect_languages=False).articles
        assert articles["title"].tolist() == ACCENTED["title"].tolist(), encoding


@pytest.mark.parametrize("encoding, message", [
    ("bogus", "unknown text encoding 'bogus'"),
    ("base64", "unknown text encoding 'base64'"),  # a codec, but of bytes to bytes
    ("ascii", "not ascii encoded (invalid byte 0xc3 at offset 35); name the encoding it was written in"),
])
def test_an_encoding_that_cannot_read_the_file_is_one_clear_line(tmp_path, encoding, message):
    path = tmp_path / "a.csv"
    path.write_text(ACCENTED.to_csv(index=False), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_articles(path, encoding=encoding)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_dataframe_is_a_source_as_a_file_is():
    """An analyst's frame: its own column names, pandas' own types (datetimes, NaN), no ids; every row validated."""
    frame = pd.DataFrame({"Headline": ["Quake hits Izmir", "Izmir toll rises", None],
                          "date": pd.to_datetime(["2025-08-04 09:30", "2025-08-05 10:00", "2025-08-06"],
                                                 format="ISO8601"),
                          "source": ["Ledger", "Courier", "Ledger"], "score": [0.5, float("nan"), 2.0]})
    result = load_articles(frame, frame.iloc[:1], detect_languages=False)
    assert result.articles["id"].tolist() == ["frame1:0", "frame1:1", "frame2:0"]
    assert result.articles["published_at"].tolist() == ["2025-08-04T09:30:00Z", "2025-08-05T10:00:00Z",
                                                        "2025-08-04T09:30:00Z"]
    assert result.articles["outlet"].tolist() == ["Ledger", "Courier", "Ledger"]
    assert [extra["score"] for extra in result.articles["extra"]] == [0.5, None, 0.5]
    assert result.columns_read_as == {"Headline": "title", "date": "published_at", "source": "outlet"}
    assert result.rejects[["file", "row", "reason"]].values.tolist() == [["frame1", 2, "missing title and text"]]
    with pytest.raises(InputError, match="frame1: no title or text column"):
        load_articles(frame[["date", "source"]])
    again = load_articles(result.articles, detect_languages=False)  # the engine's own shape, its extras spread
    assert again.articles.drop(columns="extra").equals(result.articles.drop(columns="extra"))
    assert [extra["score"] for extra in again.articles["extra"]] == [0.5, None, 0.5]


def test_a_folder_is_read_file_by_file_its_rows_named_within_it(tmp_path):
    """Daily exports without ids, one file name in each day's folder: each row keeps an id of its own."""
    for day, title in [("2025-08-07", "Quake hits Izmir"), ("2025-08-08", "Izmir toll rises")]:
        (tmp_path / "exports" / day).mkdir(parents=True)
        (tmp_path / "exports" / day / "articles.csv").write_text(f"title,outlet\n{title},Ledger\n", encoding="utf-8")
    (tmp_path / "exports" / "late.jsonl.gz").write_bytes(gzip.compress(b'{"id": "l1", "title": "Rates rise"}\n'))
    (tmp_path / "exports" / "README.txt").write_text("what these exports are", encoding="utf-8")
    (tmp_path / "exports" / ".hidden.csv").write_text("not,articles\n", encoding="utf-8")
    result = load_articles(tmp_path / "exports", detect_languages=False)
    assert result.rejects.empty
    assert result.articles["id"].tolist() == ["2025-08-07/articles.csv:2", "2025-08-08/articles.csv:2", "l1"]
    assert result.articles["title"].tolist() == ["Quake hits Izmir", "Izmir toll rises", "Rates rise"]
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("none", encoding="utf-8")
    with pytest.raises(InputError, match="empty: a folder without article files"):
        load_articles(tmp_path / "empty")


def test_a_read_that_changes_articles_named_by_file_and_row_says_so(tmp_path, capsys):
    """Rows without ids of two files of one name, read one after the other, share their names: the second read
    replaces the first's articles, and says so."""
    from perspectives import ingest
    from perspectives.cli import _echo_ingest

    days = {"monday": ["Quake hits Izmir", "Rates rise"], "tuesday": ["Izmir toll rises", "Rates rise"]}
    for day, titles in days.items():
        (tmp_path / day).mkdir()
        (tmp_path / day / "articles.csv").write_text("title\n" + "\n".join(titles) + "\n", encoding="utf-8")
    db = tmp_path / "s.db"
    assert ingest(tmp_path / "monday" / "articles.csv", db=db, rejects=None).rows_replaced == 0
    again = ingest(tmp_path / "monday" / "articles.csv", db=db, rejects=None)
    assert (again.unchanged, again.rows_replaced) == (2, 0)
    other = ingest(tmp_path / "tuesday" / "articles.csv", db=db, rejects=None)
    assert (other.updated, other.unchanged, other.rows_replaced) == (1, 1, 1)
    _echo_ingest(other)
    assert "note: 1 stored articles named by file and row changed" in capsys.readouterr().err


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_articles(tmp_path / "absent.csv")


@pytest.mark.slow
def test_cli_prints_one_error_line_and_no_traceback(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,outlet,title,text\n1,X,Été,Y\n".encode("latin-1"))
    result = cli("ingest", path, "--db", tmp_path / "s.db", "--rejects", tmp_path / "rejects.csv", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: ") and "not UTF-8 encoded" in result.stderr
    assert "--encoding cp1252" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    named = cli("ingest", path, "--db", tmp_path / "s.db", "--rejects", tmp_path / "rejects.csv",
                "--encoding", "latin-1")
    assert named.stdout.startswith("loaded 1 rows, rejected 0")
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("SELECT title FROM articles").fetchall() == [("Été",)]


@pytest.mark.slow
def test_cli_ingest_counts_rejects_and_is_idempotent(tmp_path):
    rows = [GOOD, {**GOOD, "id": "a2"}, {**GOOD, "id": "a3", "url": "ftp://capitol-ledger.example/a3"}]
    path = write_jsonl(tmp_path / "a.jsonl", rows)
    db, rejects = tmp_path / "s.db", tmp_path / "out" / "rejects.csv"
    first = cli("ingest", path, "--db", db, "--rejects", rejects)
    assert "loaded 2 rows, rejected 1" in first.stdout and "2 new" in first.stdout
    assert pd.read_csv(rejects)["id"].tolist() == ["a3"]
    second = cli("ingest", path, "--db", db, "--rejects", rejects)
    assert "0 new, 0 updated, 2 unchanged" in second.stdout


@pytest.mark.parametrize("given, stored", [
    ({"country": "SWE", "language": "swe"}, ("SE", "sv")),  # ISO 3166 alpha-3, ISO 639-2
    ({"country": "de", "language": "ger"}, ("DE", "de")),  # ISO 639-2 bibliographic
    ({"country": "BR", "language": "pt-BR"}, ("BR", "pt")),  # BCP 47 tags, as feeds and HTML write them
    ({"country": "TW", "language": "zh_Hant_TW"}, ("TW", "zh")),
    ({"country": "sweden", "language": "Swedish"}, ("SE", "sv")),  # names, as ISO 3166 and ISO 639 write them
])
def test_codes_in_other_standard_forms_are_read_as_iso_3166_alpha_2_and_iso_639_1(given, stored):
    article = validate_row({**GOOD, **given})
    assert (article["country"], article["language"]) == stored
    assert "language_given" not in article["extra"]


@pytest.mark.slow
@pytest.mark.parametrize("given", ["yue", "simple", "Deutsch!"])  # no ISO 639-1 code, a wiki's code, not a code
def test_a_language_without_an_iso_639_1_code_or_not_understood_is_kept_and_detected(tmp_path, given):
    rows = [{**GOOD, "id": "yue1", "language": given, "title": "Die Regierung erhöht die Steuer",
             "text": "Die Regierung kündigte heute an, dass die Steuer auf Benzin im nächsten Jahr steigt."}]
    result = load_articles(write_jsonl(tmp_path / "a.jsonl", rows))
    assert len(result.rejects) == 0
    [article] = result.articles.to_dict("records")
    assert article["language"] == "de"  # what lingua reads: a stand-in text, the code is the point here
    assert article["extra"] == {"gold_story": "aug8", "language_given": given, "language_source": "detected"}


@pytest.mark.slow
def test_a_missing_language_is_detected_and_marked(tmp_path):
    rows = [{**GOOD, "id": "sv1", "language": "", "title": "Regeringen höjer skatten",
             "text": "Regeringen meddelade i dag att skatten på bensin höjs från nästa år."},
            {**GOOD, "id": "de1", "language": None, "title": "Die Regierung erhöht die Steuer",
             "text": "Die Regierung kündigte heute an, dass die Steuer auf Benzin im nächsten Jahr steigt."}]
    result = load_articles(write_jsonl(tmp_path / "a.jsonl", rows))
    assert list(result.articles["language"]) == ["sv", "de"]
    assert all(extra["language_source"] == "detected" for extra in result.articles["extra"])
    undetected = load_articles(write_jsonl(tmp_path / "b.jsonl", rows), detect_languages=False)
    assert undetected.articles["language"].isna().all()


@pytest.mark.slow
def test_short_titles_are_read_in_the_language_of_the_file_around_them(tmp_path):
    from perspectives.ingest.files import NEWS_LANGUAGES
    from perspectives.ingest.normalise import detect_language

    ambiguous = ["nadal wins final", "mario draghi resigns", "samba festival opens"]
    # Read alone, lingua gives each of these another language.
    assert all(detect_language(title, set(NEWS_LANGUAGES)) != "en" for title in ambiguous)
    english = ["ceasefire talks stall", "oscar nominees announced", "senate passes budget", "storm cuts power",
               "tesla recall brakes", "ferry strike halts harbour", "pope visits manila", "bank raises rates",
               "wildfire forces evacuations", "court blocks merger", "airline cancels flights",
               "miners trapped underground", "election turnout falls", "heatwave grips europe", "rail workers walk out",
               "drought hits harvest"]
    # Short titles in the file's rarer languages, which lingua alone reads right; an untempered prior (power 1) of
    # English took both.
    rare = {"fr1": ("le sénat vote le budget", "fr"), "nl1": ("staking bij de haven", "nl")}
    long = {
        "de1": ("Die Regierung kündigte heute an, dass die Steuer auf Benzin im nächsten Jahr deutlich steigt.", "de"),
        "sv1": ("Regeringen meddelade i dag att skatten på bensin höjs kraftigt från och med nästa år.", "sv"),
    }
    rows = ([{**GOOD, "id": f"t{k}", "language": None, "title": title, "text": ""}
             for k, title in enumerate(ambiguous + english)]
            + [{**GOOD, "id": key, "language": None, "title": title, "text": ""} for key, (title, _) in rare.items()]
            + [{**GOOD, "id": key, "language": None, "title": "", "text": text} for key, (text, _) in long.items()])
    languages = load_articles(write_jsonl(tmp_path / "a.jsonl", rows)).articles.set_index("id")["language"]
    assert (languages[[f"t{k}" for k in range(len(ambiguous) + len(english))]] == "en").all()
    assert all(detect_language(title, set(NEWS_LANGUAGES)) == language for title, language in rare.values())
    # A prior of English overturns neither a long text nor a short one that lingua reads clearly enough.
    assert {key: languages[key] for key in [*rare, *long]} == {key: language for key, (_, language) in
                                                                 {**rare, **long}.items()}


@pytest.mark.slow
def test_languages_beyond_the_common_ones_are_read_where_the_file_shows_them(tmp_path):
    from perspectives.ingest.files import NEWS_LANGUAGES

    shown = {  # two full sentences in each of three languages outside NEWS_LANGUAGES
        "ca": ["El govern català ha aprovat avui els pressupostos per a l'any vinent després d'una llarga negociació.",
               "La vaga de professors ha tancat la majoria de les escoles de Barcelona durant la setmana passada."],
        "sk": ["Vláda dnes schválila nový rozpočet na budúci rok po dlhých rokovaniach s opozíciou.",
               "Polícia zadržala troch mužov podozrivých z lúpeže banky v centre Bratislavy."],
        "bg": ["Правителството одобри днес новия бюджет за следващата година след дълги преговори.",
               "Полицията задържа трима мъже, заподозрени в обир на банка в центъра на София."],
    }
    assert not set(shown) & NEWS_LANGUAGES
    english = ["ceasefire talks stall", "oscar nominees announced", "senate passes budget", "storm cuts power",
               "tesla recall brakes", "ferry strike halts harbour", "pope visits manila", "bank raises rates"]
    rows = ([{**GOOD, "id": f"{code}{k}", "language": None, "title": "", "text": text}
             for code, texts in shown.items() for k, text in enumerate(texts)]
            + [{**GOOD, "id": f"en{k}", "language": None, "title": title, "text": ""}
               for k, title in enumerate(english)])
    languages = load_articles(write_jsonl(tmp_path / "a.jsonl", rows)).articles.set_index("id")["language"]
    assert {key: languages[key] for key in languages.index if key[:2] in shown} == {
        f"{code}{k}": code for code, texts in shown.items() for k in range(len(texts))}
    # Lingua over all its languages reads some of these short titles as Tagalog, Latin and the like: never twice
    # with confidence, so none of those languages is read.
    assert (languages[[f"en{k}" for k in range(len(english))]] == "en").all()


@pytest.mark.slow
def test_json_lines_that_break_the_json_reader_are_rejects_and_the_other_rows_load(tmp_path):
    hostile = [  # (line, how its reason starts)
        ('{"id": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "invalid JSON: nested too deeply"),
        (json.dumps({**GOOD, "id": "d150", "x": json.loads("[" * 150 + "]" * 150)}), "invalid JSON: nested too deeply"),
        ('{"id": "big", "n": ' + "1" * 5000 + "}", "invalid JSON (Exceeds the limit (4300 digits)"),
        (json.dumps({**GOOD, "id": "lone"}).replace("talks", "talks \\ud800"), "invalid JSON (a lone surrogate"),
    ]
    path = write_jsonl(tmp_path / "a.jsonl", [GOOD, *(line for line, _ in hostile), {**GOOD, "id": "a2"}])
    db, rejects = tmp_path / "s.db", tmp_path / "rejects.csv"
    result = cli("ingest", path, "--db", db, "--rejects", rejects)
    assert "loaded 2 rows, rejected 4" in result.stdout
    reasons = pd.read_csv(rejects)["reason"].tolist()
    assert [reason.startswith(start) for reason, (_, start) in zip(reasons, hostile)] == [True] * 4
    assert reasons[0] == "invalid JSON: nested too deeply"
    assert sqlite3.connect(db).execute("SELECT id FROM articles ORDER BY id").fetchall() == [("a1",), ("a2",)]


@pytest.mark.parametrize("dates, day_first, expected", [
    (["07/08/2025", "13/08/2025 14:30"], True, ["2025-08-07", "2025-08-13"]),  # a day over 12: the file's order
    (["07.08.2025", "08.08.2025"], True, ["2025-08-07", "2025-08-08"]),  # dots: German, Russian, Nordic
    (["08/07/2025", "08/13/2025"], False, ["2025-08-07", "2025-08-13"]),  # a second number over 12: American
    (["08/07/2025", "2025-08-09"], False, ["2025-08-07", "2025-08-09"]),  # no sign either way: month first
])
def test_dates_of_numbers_are_read_in_the_order_the_file_writes_them(tmp_path, dates, day_first, expected):
    path = tmp_path / "desk.csv"
    path.write_text("id;title;date\n" + "".join(f"{i};Quake hits;{d}\n" for i, d in enumerate(dates)), encoding="utf-8")
    result = load_articles(path, detect_languages=False)
    assert [stamp[:10] for stamp in result.articles["published_at"]] == expected
    assert result.dates_day_first == ([str(path)] if day_first else [])


def test_a_megabyte_of_text_as_a_date_is_no_date_at_once():
    seconds = time.process_time()
    article = validate_row({**GOOD, "published_at": "x" * 800_000})
    assert time.process_time() - seconds < 1.0  # pandas' fallback date parser took 15 s on this value
    assert article["published_at"] is None and article["extra"]["published_at_given"] == "x" * 100


class ListSource:
    """A user's own source: any object with a `name` and `rows()` of (row number, raw record)."""

    name = "newsroom-api"

    def rows(self):
        yield 1, {**GOOD, "id": "api-1"}
        yield 2, {**GOOD, "id": "api-2", "url": "ftp://capitol-ledger.example/a2"}


def test_a_users_own_source_goes_through_the_same_validator_into_the_store(tmp_path):
    from perspectives import pipeline

    summary = pipeline.ingest(ListSource(), db=tmp_path / "api.db", rejects=tmp_path / "rejects.csv", progress=False)
    rejects = pd.read_csv(tmp_path / "rejects.csv")
    assert summary.new == 1
    assert rejects[["file", "row", "id"]].values.tolist() == [["newsroom-api", 2, "api-2"]]
    assert rejects["reason"].iloc[0].startswith("invalid url 'ftp://capitol-ledger.example/a2'")


def test_an_id_two_files_reuse_for_different_articles_keeps_both(tmp_path):
    first = tmp_path / "day1.csv"
    second = tmp_path / "day2.csv"
    first.write_text("id,title,text\n1,Quake hits Izmir,Buildings fell.\n2,Central bank lifts rates,Rates rose.\n",
                     encoding="utf-8")
    second.write_text("id,title,text\n1,Flood in Porto,Rivers rose.\n2,Central bank lifts rates again,Rates rose.\n",
                      encoding="utf-8")
    result = load_articles(first, second, detect_languages=False)
    assert result.articles["title"].tolist() == ["Quake hits Izmir", "Central bank lifts rates", "Flood in Porto"]
    flood = result.articles.iloc[2]
    assert flood["id"].startswith("1-") and flood["extra"]["id_given"] == "1"
    assert result.ids_reused == 1
    assert result.rejects["reason"].tolist() == ["duplicate id (first seen at day1.csv row 3)"]  # an edit of 2

    db = tmp_path / "s.db"
    said = [cli("ingest", path, "--db", db, "--rejects", tmp_path / "r.csv").stdout for path in (first, second, second)]
    assert "store: 2 new" in said[0] and "store: 1 new, 1 updated" in said[1] and "2 unchanged" in said[2]
    assert "1 rows came under an id another article has" in said[1]
    assert "came under an id" not in said[2]  # read again: stored under its new id already
    with sqlite3.connect(db) as conn:
        titles = dict(conn.execute("SELECT id, title FROM articles").fetchall())
    assert titles == {"1": "Quake hits Izmir", "2": "Central bank lifts rates again", flood["id"]: "Flood in Porto"}


@pytest.mark.parametrize("change, same", [
    ({"title": "Talks collapse as the deadline passes"}, True),  # the link is the article's
    ({"url": "https://capitol-ledger.example/a9"}, False),
    ({"url": None, "outlet": "Harbour Courier"}, False),
    ({"url": None, "title": "Deadline nears for the talks"}, True),
    ({"url": None, "title": "Flood waters rise in Porto"}, False),
])
def test_a_row_under_a_held_id_is_that_article_again_by_its_link_outlet_or_title(change, same):
    from perspectives.ingest.normalise import same_article

    held = validate_row(GOOD)
    assert same_article({**held, "url": None} if change.get("url", "") is None else held, {**held, **change}) is same
