"""The report files: formula cells defused in every CSV, and writes that a kill cannot leave half done."""

import csv
import functools
import io
import json
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from perspectives.framing.analysis import concat_rows
from perspectives.report import (
    ARTICLE_COLUMNS,
    FORMULA_STARTS,
    TAKES_CSV_COLUMNS,
    TAKES_JOINED,
    _jsonify,
    _mixed,
    csv_lines,
    csv_safe,
    refresh_rendered,
    write_rejects,
    write_report,
)
from perspectives.store import STORY_COLUMNS, Store
from tests.conftest import ROOT


def cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_formula_cells_are_defused_in_every_report_csv(hostile_run):
    out = hostile_run["out"]
    files = sorted(out.glob("*.csv"))
    assert {f.name for f in files} >= {"articles.csv", "stories.csv", "takes.csv", "claims.csv", "rejects.csv"}
    for path in files:  # a negative number (a tone, its interval) is a number, not a formula
        assert not [c for c in cells(path) if c.startswith(FORMULA_STARTS) and not is_number(c)], path.name
    articles = pd.read_csv(out / "articles.csv")
    assert set(articles["outlet"]) == {"'" + o if o[0] in "=+" else o for o in hostile_run["outlets"]}
    assert set(articles["note"]) == {"'=1+1"}  # a passed-through column too
    assert "'-2+3 officials said the deadline expires on Friday." in set(pd.read_csv(out / "claims.csv")["sentence"])
    rejects = pd.read_csv(out / "rejects.csv")
    assert list(rejects["id"]) == ["'=cmd|' /C calc'!A0"]


def test_numbers_stay_numbers_and_the_rule_is_owasps():
    table = pd.DataFrame({"text": ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "a=b", None], "tone": [-0.5] * 8})
    safe = csv_safe(table)
    assert list(safe["text"][:7]) == ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "a=b"]
    assert pd.isna(safe["text"][7])
    assert safe["tone"].tolist() == [-0.5] * 8 and table["text"].iloc[0] == "=1+1"  # the input is left alone


def test_parquet_keeps_values_as_they_are_and_mixed_extras_as_json(tmp_path):
    store = report_store(tmp_path / "r.db", 3, extra=lambda i: {"meta": {"k": i} if i else "plain", "n": i})
    write_report(tmp_path, store, format="parquet")
    articles = pd.read_parquet(tmp_path / "articles").sort_values("id")
    assert list(articles["outlet"]) == ["=Outlet 0", "=Outlet 1", "=Outlet 2"]
    assert list(articles["meta"]) == ["plain", '{"k": 1}', '{"k": 2}'] and list(articles["n"]) == [0, 1, 2]
    assert json.loads(articles["meta"].iloc[1]) == {"k": 1}


def test_a_failed_parquet_write_keeps_the_previous_report(tmp_path):
    out = tmp_path / "out"
    write_report(out, report_store(tmp_path / "r.db", 3), format="parquet")
    before = snapshot(out)
    store = report_store(tmp_path / "bad.db", 5)
    for sentence in ("a", 1):  # pyarrow cannot store text and a number in one column
        store.save_framing({f"s{sentence}": {"claims": [{"story_id": f"s{sentence}", "sentence": sentence}]}},
                           store.framing_keys() | {"sa": "k", "s1": "k"})
    with pytest.raises(Exception, match="Could not convert|Expected bytes|incompatible types"):
        write_report(out, store, format="parquet")
    assert snapshot(out) == before  # nothing replaced, nothing left behind


@pytest.mark.slow
@pytest.mark.parametrize("format", ["csv", "parquet"])
def test_kill_9_during_write_report_leaves_the_previous_files_complete(tmp_path, format):
    out = tmp_path / "out"
    write_report(out, report_store(tmp_path / "small.db", 20), format=format)
    write_rejects(pd.DataFrame({"id": ["r1"], "reason": ["no text"]}), out / "rejects.csv")
    before = snapshot(out)
    report_store(tmp_path / "big.db", 40_000).close()
    started = time.time()
    writer = subprocess.Popen([sys.executable, "-c", BIG_REPORT, str(out), str(tmp_path / "big.db"), format],
                              cwd=ROOT)
    try:
        wait_for(lambda: any(p.stat().st_mtime > started for p in out.rglob("*") if p.is_file()), writer)
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == -signal.SIGKILL  # killed mid-write, not finished
    assert snapshot(out) == before
    if format == "parquet":
        assert len(pd.read_parquet(out / "articles")) == 20
    left = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert left  # what the killed writer was writing, under its temporary name
    write_report(out, report_store(tmp_path / "four.db", 4), format=format)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # removed by the next write
    assert len(pd.read_csv(out / "articles.csv") if format == "csv" else pd.read_parquet(out / "articles")) == 4


def wait_for(condition, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert process.poll() is None, "the writer finished before it could be killed"
        assert time.time() < deadline, "the writer never started writing"
        time.sleep(0.01)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every visible file under `folder`, by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def report_store(path: Path, n: int, extra=lambda i: {"gold": f"g{i}"}) -> Store:
    """A store of n articles in n stories (over up to 500 days) with formula-like outlets, the first three stories
    with framing rows, as a report reads it."""
    ids = [f"a{i:07d}" for i in range(n)]
    days = [f"{date(2020, 1, 1) + timedelta(days=i % 500)}T10:00:00Z" for i in range(n)]
    articles = pd.DataFrame({"id": ids, "outlet": [f"=Outlet {i}" for i in range(n)], "title": "Title",
                             "text": ["Body text of the article. " * 24] * n, "url": None, "country": "UA",
                             "language": "en", "published_at": days, "title_en": None, "text_en": None,
                             "extra": [extra(i) for i in range(n)]})
    stories = pd.DataFrame({"story_id": [f"s{i}" for i in range(n)], "label": "Title", "keywords": "k",
                            "n_articles": 1, "n_outlets": 1, "countries": "UA", "first_published": days,
                            "last_published": days})
    members = pd.DataFrame({"article_id": ids, "story_id": stories["story_id"], "wire_group": None,
                            "content_hash": "h"})
    framing = {f"s{i}": {
        "takes": [{"story_id": f"s{i}", "outlet": f"=Outlet {i}", "country": "UA", "language": "en",
                   "headline": "Title", "lede": "-1 lede", "distinctive_terms": ["t"], "headline_en": None,
                   "lede_en": None, "article_ids": [ids[i]], "wire_note": None, "also_ran": []}],
        "claims": [{"story_id": f"s{i}", "sentence": "@claim", "position": i}]} for i in range(min(n, 3))}
    store = Store(path)
    store.upsert_articles(articles)
    store.replace_stories(store.start_run("cluster", {}), stories, members, {})
    store.save_framing(framing, {story_id: "key" for story_id in framing})
    return store


# Run in a subprocess that the test kills: a report large enough to take a while to write.
BIG_REPORT = """
import sys
from pathlib import Path
from perspectives.report import write_report
from perspectives.store import Store
write_report(Path(sys.argv[1]), Store(sys.argv[2]), format=sys.argv[3])
"""


# -- the streamed report is the report that held every table in memory ------------------------------------------

def whole_tables(store: Store) -> dict[str, pd.DataFrame]:
    """The report's tables as it built them before it streamed: every article, story and framing row at once."""
    articles, members = store.articles(), store.members()
    extras = pd.DataFrame(list(articles["extra"]), index=articles.index)
    extras = extras.apply(lambda column: column.map(_jsonify) if _mixed(column) else column).rename(
        columns={c: f"{c}_given" for c in ARTICLE_COLUMNS})  # one of the report's own names: passed on so suffixed
    table = articles.drop(columns="extra").merge(members.rename(columns={"fit": "story_fit"}), left_on="id",
                                                 right_on="article_id", how="left")
    return {"articles": pd.concat([table[ARTICLE_COLUMNS], extras.set_index(table.index)], axis=1),
            "stories": store.stories()[STORY_COLUMNS],
            **concat_rows(rows for chunk in store.framing_chunks() for rows in chunk.values())}


def whole_csv(store: Store) -> dict[str, str]:
    """Each CSV as the report wrote it before it streamed: pandas' `to_csv` of each whole table, a cell holding a
    carriage return quoted as Python 3.12's csv module quotes it (lines ended with CR LF make every version quote it;
    no cell here holds a CR LF, so turning the lines' ends back into LF changes no cell)."""
    tables = whole_tables(store)
    takes = tables["takes"]
    tables["takes"] = takes.assign(**{c: takes[c].map(sep.join) for c, sep in TAKES_JOINED.items()})[
        TAKES_CSV_COLUMNS]
    for table in tables.values():
        assert not table.map(lambda cell: isinstance(cell, str) and "\r\n" in cell).any().any()
    return {name: csv_safe(table).to_csv(index=False, lineterminator="\r\n").replace("\r\n", "\n")
            for name, table in tables.items()}


def hard_store(path: Path) -> Store:
    """A store whose report is hard to stream: passed-through columns whose type pandas decides from all rows
    (integers with gaps are floats), mixed kinds, cells to quote or defuse, an undated article, one in no story."""
    extras = [
        {"int_gaps": 1, "int_full": 1, "bool_gaps": True, "bool_full": True, "float": 0.1, "mixed": "plain",
         "nan": 1.5, "none": None, "text": 'say "hi", then\nleave', "neg_u64": -1, "lists": [1, "a"]},
        {"int_full": 2, "bool_full": False, "float": 2.0, "mixed": {"k": [1, 2]}, "nan": float("nan"),
         "none": None, "text": "=1+1", "neg_u64": 2**63 + 5, "id": "beside the article's own id"},
        {"int_gaps": 3, "int_full": 3, "bool_gaps": False, "bool_full": True, "float": -1e20, "mixed": 7,
         "text": "-2 \r carriage", "lists": []},
        {"int_full": 4, "bool_full": True, "mixed": True, "text": "", "later": "first seen in the last rows"},
        {"int_full": 5, "bool_full": False, "float": 1e-7, "text": "café, ünïcode"},
    ]
    rows = [{"id": f"x{i}", "outlet": ["=Left", "Right, Inc.", '"Quoted"'][i % 3], "title": f"Title {i}\nline two",
             "text": f"Body {i}, with a comma and a \"quote\".", "url": f"https://example.com/{i}" if i else None,
             "country": "UA", "language": "en", "published_at": f"2025-08-0{i + 1}T10:00:00Z" if i != 2 else None,
             "title_en": None, "text_en": "-English" if i == 1 else None, "extra": extra}
            for i, extra in enumerate(extras)]
    store = Store(path)
    store.upsert_articles(pd.DataFrame(rows))
    stories = pd.DataFrame({"story_id": ["s-a", "s-b"], "label": ["=A", "B"], "keywords": ["k", "-k"],
                            "n_articles": [2, 2], "n_outlets": [2, 2], "countries": "UA",
                            "first_published": ["2025-08-01T10:00:00Z", None], "last_published": [None, None]})
    members = pd.DataFrame({"article_id": ["x0", "x1", "x2", "x3"], "story_id": ["s-a", "s-a", "s-b", "s-b"],
                            "wire_group": ["w1", "w1", None, None], "content_hash": "h"})
    store.replace_stories(store.start_run("cluster", {}), stories, members, {})
    take = {"country": "UA", "language": "en", "headline": "=H", "lede": "L, l", "headline_en": None,
            "lede_en": None, "wire_note": None, "published_at": "2025-08-01T10:00:00Z"}
    framing = {"s-a": {"takes": [take | {"story_id": "s-a", "outlet": "=Left", "distinctive_terms": ["a", "b"],
                                         "article_ids": ["x0", "x1"], "also_ran": []}],
                       "claims": [{"story_id": "s-a", "sentence": '@he said "no"', "position": 0, "score": -0.25,
                                   "score_low": -1.0, "score_high": 0.5}],
                       "tone": [{"story_id": "s-a", "tone": -0.5, "n_sentences": 3, "label": "negative"}]},
               "s-b": {"takes": [take | {"story_id": "s-b", "outlet": "Right, Inc.", "distinctive_terms": [],
                                         "article_ids": ["x2"], "also_ran": ["x3"]}],
                       "claims": [{"story_id": "s-b", "sentence": "plain", "position": 4, "score": None}]}}
    store.save_framing(framing, {story_id: "key" for story_id in framing})
    return store


def test_the_streamed_csv_files_are_byte_for_byte_the_whole_table_ones(tmp_path, monkeypatch):
    store = hard_store(tmp_path / "hard.db")
    monkeypatch.setattr("perspectives.store.READ_CHUNK", 2)  # so that no chunk sees every kind of a column
    paths = write_report(tmp_path / "out", store)
    expected = whole_csv(store)
    assert set(expected) == set(paths)
    for name, text in expected.items():
        assert paths[name].read_bytes().decode("utf-8") == text, name
    articles = pd.read_csv(paths["articles"], dtype=str, keep_default_na=False)
    assert articles["id"].tolist() == ["x0", "x1", "x3", "x4", "x2"]  # the undated one last
    assert articles["int_gaps"].tolist() == ["1.0", "", "", "", "3.0"]  # integers with gaps are floats, as before
    assert articles["int_full"].tolist() == ["1", "2", "4", "5", "3"]


@pytest.mark.slow
def test_the_demo_report_is_byte_for_byte_the_whole_table_one(demo_run):
    with Store(demo_run["db"]) as store:
        expected = whole_csv(store)
    for name, text in expected.items():
        assert (demo_run["out"] / f"{name}.csv").read_text(encoding="utf-8") == text, name


def test_the_streamed_parquet_files_read_back_as_the_whole_tables(tmp_path, monkeypatch):
    store = hard_store(tmp_path / "hard.db")
    monkeypatch.setattr("perspectives.store.READ_CHUNK", 2)
    monkeypatch.setattr(Store, "framing_chunks", functools.partialmethod(Store.framing_chunks, 1))
    articles = store.articles()  # integers past int64 and below zero: no Parquet type holds both, so leave them out
    store.upsert_articles(articles.assign(extra=[{k: v for k, v in e.items() if k != "neg_u64"}
                                                 for e in articles["extra"]]))
    paths = write_report(tmp_path / "out", store, format="parquet")
    whole = whole_tables(store)
    whole["articles"].assign(day=pd.to_datetime(whole["articles"]["published_at"], utc=True, errors="coerce",
                                                format="mixed").dt.strftime("%Y-%m-%d").fillna("undated")
                             ).to_parquet(tmp_path / "whole", partition_cols=["day"], index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(paths["articles"]), pd.read_parquet(tmp_path / "whole"))
    for name, table in whole.items():
        if name != "articles":
            table.to_parquet(tmp_path / f"{name}.parquet", index=False)
            pd.testing.assert_frame_equal(pd.read_parquet(paths[name]), pd.read_parquet(tmp_path / f"{name}.parquet"),
                                          obj=name)
    assert sorted(p.name for p in paths["articles"].iterdir())[-1] == "day=undated"


def test_an_integer_cell_is_written_as_one_whatever_other_stories_hold(tmp_path):
    store = report_store(tmp_path / "r.db", 2)
    store.save_framing({"s0": {"claims": [{"story_id": "s0", "position": 3}]},
                        "s1": {"claims": [{"story_id": "s1", "position": None}]}}, {"s0": "k", "s1": "k"})
    paths = write_report(tmp_path / "out", store)
    assert paths["claims"].read_text().splitlines()[1:] == ["s0,,,,,,3,,,", "s1,,,,,,,,,"]


def test_a_header_from_the_input_is_defused_too(tmp_path):
    store = report_store(tmp_path / "r.db", 2, extra=lambda i: {"=HYPERLINK(1)": i})
    paths = write_report(tmp_path / "out", store)
    assert paths["articles"].read_text().splitlines()[0].endswith(",'=HYPERLINK(1)")


@pytest.mark.parametrize("format", ["csv", "parquet"])
def test_a_column_named_as_one_the_report_writes_is_passed_through_suffixed(tmp_path, format):
    """A file's own gold label in a `story_id` column (or a `wire_group`) is kept beside the report's."""
    from perspectives import run
    from perspectives.embed import HashedWords

    given = pd.DataFrame({"id": ["a", "b"], "title": ["Quake hits Izmir", "Bank lifts rates"],
                          "story_id": ["gold-1", "gold-2"], "wire_group": ["w", None], "story_id_given": ["x", "y"]})
    summary = run(given, db=tmp_path / "s.db", out=tmp_path / "out", embedder=HashedWords(), format=format,
                  progress=False)
    path = summary.files["articles"]
    articles = pd.read_csv(path) if format == "csv" else pd.read_parquet(path)
    assert list(articles.columns[:len(ARTICLE_COLUMNS)]) == ARTICLE_COLUMNS
    assert articles["story_id"].str.startswith("s-").all()
    rows = articles.set_index("id").loc[["a", "b"]]
    assert rows["story_id_given_given"].tolist() == ["gold-1", "gold-2"]
    assert rows["story_id_given"].tolist() == ["x", "y"]
    assert rows["wire_group_given"].tolist()[0] == "w"


def test_the_csv_lines_are_what_the_csv_module_writes_and_read_back_whole():
    rows = [["a,b", 'say "x"', "line\nbreak", "\rx", "a\rb", "", None, 1, -2.5, True, float("nan"), "=1", "café"],
            [""], [None], ["plain"]]
    frames = [pd.DataFrame([row], dtype=object) for row in rows]
    # As Python 3.12's csv module writes them: a lone carriage return quoted (lines ended with CR LF make every
    # version quote it), since a reader takes it for a line's end.
    assert [csv_lines([row]) for row in rows] == [
        csv_safe(f).to_csv(index=False, header=False, lineterminator="\r\n").replace("\r\n", "\n") for f in frames]
    read = list(csv.reader(io.StringIO(csv_lines(rows), newline="")))
    assert len(read) == len(rows) and read[0][3:5] == ["'\rx", "a\rb"]
    assert pd.read_csv(io.StringIO(csv_lines(rows[:1])), header=None).shape == (1, len(rows[0]))


def test_a_story_is_rendered_again_only_when_its_rows_change(tmp_path):
    store = report_store(tmp_path / "r.db", 5)
    assert refresh_rendered(store) == 3 and refresh_rendered(store) == 0
    store.save_framing({"s1": {"claims": [{"story_id": "s1", "sentence": "changed"}]}},
                       {"s0": "key", "s1": "another key", "s2": "key"})
    assert refresh_rendered(store) == 1
    paths = write_report(tmp_path / "out", store)
    assert pd.read_csv(paths["claims"])["sentence"].tolist() == ["'@claim", "changed", "'@claim"]
    assert store.count("story_csv") == 3
