"""The report files: formula cells defused in every CSV, and writes that a kill cannot leave half done."""

import csv
import json
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from perspectives.report import FORMULA_STARTS, csv_safe, write_rejects, write_report
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
    write_report(tmp_path, *report_tables(3, extra=lambda i: {"meta": {"k": i} if i else "plain", "n": i}),
                 format="parquet")
    articles = pd.read_parquet(tmp_path / "articles").sort_values("id")
    assert list(articles["outlet"]) == ["=Outlet 0", "=Outlet 1", "=Outlet 2"]
    assert list(articles["meta"]) == ["plain", '{"k": 1}', '{"k": 2}'] and list(articles["n"]) == [0, 1, 2]
    assert json.loads(articles["meta"].iloc[1]) == {"k": 1}


def test_a_failed_parquet_write_keeps_the_previous_report(tmp_path):
    write_report(tmp_path, *report_tables(3), format="parquet")
    before = snapshot(tmp_path)
    articles, stories, members, framing = report_tables(5)
    framing["claims"] = pd.DataFrame({"sentence": ["a", 1]})  # pyarrow cannot store text and a number in one column
    with pytest.raises(Exception, match="Could not convert|Expected bytes"):
        write_report(tmp_path, articles, stories, members, framing, format="parquet")
    assert snapshot(tmp_path) == before  # nothing replaced, nothing left behind


@pytest.mark.slow
@pytest.mark.parametrize("format", ["csv", "parquet"])
def test_kill_9_during_write_report_leaves_the_previous_files_complete(tmp_path, format):
    out = tmp_path / "out"
    write_report(out, *report_tables(20), format=format)
    write_rejects(pd.DataFrame({"id": ["r1"], "reason": ["no text"]}), out / "rejects.csv")
    before = snapshot(out)
    started = time.time()
    writer = subprocess.Popen([sys.executable, "-c", BIG_REPORT, str(out), "120000", format], cwd=ROOT)
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
    write_report(out, *report_tables(4), format=format)
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


def report_tables(n: int, extra=lambda i: {"gold": f"g{i}"}):
    """What `write_report` takes, for n articles in n stories (over up to 500 days), with formula-like outlets."""
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
    takes = pd.DataFrame({"story_id": stories["story_id"], "outlet": articles["outlet"], "country": "UA",
                          "language": "en", "headline": "Title", "lede": "-1 lede", "distinctive_terms": [["t"]] * n,
                          "headline_en": None, "lede_en": None, "article_ids": [[i] for i in ids], "wire_note": None,
                          "also_ran": [[]] * n})
    claims = pd.DataFrame({"story_id": stories["story_id"], "sentence": "@claim", "position": range(n)})
    return articles, stories, members, {"takes": takes, "claims": claims}


# Run in a subprocess that the test kills: a report large enough to take a while to write.
BIG_REPORT = """
import sys
from pathlib import Path
from perspectives.report import write_report
from tests.test_outputs import report_tables
write_report(Path(sys.argv[1]), *report_tables(int(sys.argv[2])), format=sys.argv[3])
"""
