"""Ingest from feeds against a real HTTP server on 127.0.0.1 (the only address these tests contact).

127.0.0.1 is a loopback address, which the fetcher refuses unless allowed: each test allows its own server.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from perspectives.ingest.feeds import check_feeds, ingest_sources
from perspectives.ingest.http import FetchError
from perspectives.ingest.normalise import article_id, canonical_url, detect_language
from perspectives.ingest.sources import load_registry
from perspectives.ingest.translate import add_english
from perspectives.store import Store
from tests.conftest import ROOT, cli
from tests.webserver import FixtureServer, fast_fetcher, registry_file


class FakeTranslator:
    """Tests only: the translation hook's contract without a real MT model."""

    def translate(self, texts, source, target="en"):
        return [f"[{source}->{target}] {t}" for t in texts]


@pytest.fixture(scope="module")
def server():
    with FixtureServer(slow_seconds=2.0) as running:
        yield running


@pytest.fixture(scope="module")
def ingested(server, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("web")
    path = registry_file(tmp_path, server.base, {
        ("Capitol Ledger", "US", "en"): ["/feeds/rss.xml", "/feeds/broken.xml", "/feeds/gone.xml"],
        ("Stockholms Kuriren", "SE", "sv"): ["/feeds/atom.xml"],
    })
    store = Store(tmp_path / "web.db")
    summary = ingest_sources(load_registry(path), store, fetcher=fast_fetcher(server), since="2025-01-01",
                             translator=FakeTranslator(), progress=False)
    articles = store.articles().set_index("url")
    yield {"summary": summary, "articles": articles, "store": store, "server": server, "registry": path}
    store.close()


def stored(ingested, page):
    return ingested["articles"].loc[f"{ingested['server'].base}/articles/{page}"]


def test_feed_outcomes_are_reported_with_reasons(ingested):
    feeds = {f.url.rsplit("/", 1)[-1]: f for f in ingested["summary"].feeds}
    assert (feeds["rss.xml"].status, feeds["rss.xml"].items) == ("ok", 12)
    assert feeds["atom.xml"].status == "ok"
    assert feeds["broken.xml"].status == "failed" and feeds["broken.xml"].reason.startswith("malformed feed")
    assert (feeds["gone.xml"].status, feeds["gone.xml"].reason) == ("failed", "HTTP 404")
    assert ingested["summary"].fetched_anything
    saved = ingested["store"].feeds().set_index("url")
    assert saved.loc[f"{ingested['server'].base}/feeds/gone.xml", "error"] == "HTTP 404"
    assert saved.loc[f"{ingested['server'].base}/feeds/rss.xml", "etag"]  # validators kept for conditional GET


def test_a_good_page_is_extracted_with_canonical_url_and_utc_date(ingested):
    article = stored(ingested, "deadline.html")  # the feed linked it with utm_ parameters
    assert article["title"] == "Deadline for Moscow expires on Friday"
    assert article["text"].startswith("The deadline the White House set for Moscow")
    assert "Home" not in article["text"] and "Fixture page" not in article["text"]  # boilerplate removed
    assert article["published_at"] == "2025-08-08T07:30:00Z"
    assert (article["language"], article["country"], article["outlet"]) == ("en", "US", "Capitol Ledger")
    assert article["extra"]["extraction"] == "trafilatura"
    assert article["extra"]["feed"].endswith("/feeds/rss.xml")


def test_scripts_never_reach_the_stored_text(ingested):
    text = stored(ingested, "script.html")["text"]
    assert "alert" not in text and "script text" not in text and "steal" not in text
    assert "fifth such visit" in text


def test_a_non_utf8_page_is_decoded(ingested):
    text = stored(ingested, "latin1.html")["text"]
    assert "Malmö" in text and "Göteborg" in text and "café" in text


def test_a_500_is_retried_until_it_succeeds(ingested):
    assert ingested["server"].hits["/articles/flaky.html"] == 2
    assert stored(ingested, "flaky.html")["extra"]["extraction"] == "trafilatura"


@pytest.mark.parametrize("page, reason", [
    ("missing.html", "HTTP 404"),
    ("slow.html", "timed out after 0.5 s"),
    ("loop.html", "too many redirects (more than 5)"),
    ("huge.html", "response larger than the 5 MB cap"),
])
def test_unfetchable_pages_keep_the_feed_summary_and_say_why(ingested, page, reason):
    article = stored(ingested, page)
    assert article["extra"]["extraction"] == f"feed summary ({reason})"
    assert article["text"].startswith("This summary stands in") or article["text"].startswith("Only this summary")


def test_robots_txt_is_respected(ingested):
    assert ingested["server"].hits["/private/secret.html"] == 0
    secret = ingested["articles"].loc[f"{ingested['server'].base}/private/secret.html"]
    assert secret["extra"]["extraction"] == "feed summary (disallowed by robots.txt)"


def test_skipped_items_are_counted_with_their_reasons(ingested):
    skipped = ingested["summary"].skipped
    assert skipped["link refused: only http and https URLs are fetched, not file"] == 1
    assert skipped["link refused: only http and https URLs are fetched, not ftp"] == 1
    assert skipped["published before --since"] == 1
    assert skipped["already stored (same URL)"] == 1  # the Atom feed links the RSS article again
    assert skipped["same text as a stored article"] == 1  # copy.html repeats deadline.html
    assert ingested["server"].hits["/articles/old.html"] == 0


def test_duplicates_are_stored_once(ingested):
    articles = ingested["articles"]
    assert articles.index.is_unique and articles["id"].is_unique
    assert f"{ingested['server'].base}/articles/copy.html" not in articles.index
    assert ingested["summary"].new == len(articles) == 10  # 9 from RSS, 1 from Atom


def test_language_is_detected_when_the_feed_does_not_say_and_translation_fills_english(ingested):
    swedish = stored(ingested, "europa.html")
    assert swedish["language"] == "sv"
    assert swedish["title_en"].startswith("[sv->en] Europa står")
    assert stored(ingested, "deadline.html")["title_en"] is None  # English needs no translation


def test_every_request_names_the_project(ingested):
    agents = {agent for _, _, agent in ingested["server"].requests}
    assert agents and all(agent.startswith("perspectives/") for agent in agents)


def test_a_second_run_is_idempotent_and_uses_conditional_get(ingested):
    server = ingested["server"]
    before = server.hits.copy()
    again = ingest_sources(load_registry(ingested["registry"]), ingested["store"], fetcher=fast_fetcher(server),
                           since="2025-01-01", progress=False)
    statuses = {f.url.rsplit("/", 1)[-1]: f.status for f in again.feeds}
    assert statuses["rss.xml"] == statuses["atom.xml"] == "not modified"
    assert again.new == again.updated == 0
    assert ingested["store"].count("articles") == 10
    pages = [p for p in server.hits if p.startswith("/articles/")]
    assert all(server.hits[p] == before[p] for p in pages)  # no page fetched again


def test_an_item_the_feed_marks_updated_is_fetched_again(ingested):
    server = ingested["server"]
    server.rewrites["/feeds/atom.xml"] = [(b"2025-08-08T08:15:00Z", b"2025-08-09T08:15:00Z")]
    server.rewrites["/articles/europa.html"] = [(b"vid bordet.", b"vid bordet, enligt en uppdaterad version.")]
    try:
        again = ingest_sources(load_registry(ingested["registry"]), ingested["store"],
                               fetcher=fast_fetcher(server), since="2025-01-01", progress=False)
    finally:
        server.rewrites.clear()
    assert (again.new, again.updated) == (0, 1)
    assert "uppdaterad version" in ingested["store"].articles().set_index("url").loc[
        f"{server.base}/articles/europa.html", "text"]


def test_only_http_and_https_are_fetched():
    fetcher = fast_fetcher()
    for url in ["file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)"]:
        with pytest.raises(FetchError, match="refused: only http and https"):
            fetcher.get(url)


def test_requests_to_one_host_are_spaced(server):
    fetcher = fast_fetcher(server, min_interval=0.2, obey_robots=False)
    for _ in range(4):
        fetcher.get(f"{server.base}/articles/deadline.html")
    times = [t for t, path, _ in server.requests if path == "/articles/deadline.html"]
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.19


def test_a_hosts_slots_go_to_requests_in_the_order_they_asked():
    import threading

    from perspectives.ingest.http import FairSlots

    slots, order = FairSlots(1), []
    slots.acquire()

    def fetch(page):
        slots.acquire()
        order.append(page)
        slots.release()

    threads = []
    for page in range(5):
        threads.append(threading.Thread(target=fetch, args=(page,)))
        threads[-1].start()
        while len(slots.waiting) <= page:  # each asks after the one before it
            time.sleep(0.001)
    # The holder releases and at once asks again, as a fetch thread moving on to its next page does: it waits its
    # turn behind the pages that asked first instead of taking the slot back.
    slots.release()
    fetch("next page")
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2, 3, 4, "next page"]


def test_normalisation_helpers():
    assert canonical_url("HTTP://Example.COM:80/a?utm_source=x&id=3&fbclid=y#top") == "http://example.com/a?id=3"
    assert article_id("http://example.com/a?utm_medium=rss") == article_id("http://example.com/a")
    assert detect_language("Regeringen meddelade i dag att budgeten ökar kraftigt", {"sv", "de"}) == "sv"
    assert add_english({"language": "en", "title": "t", "text": "x"}, FakeTranslator()).get("title_en") is None


def test_check_reports_each_feed(server, tmp_path):
    registry = load_registry(registry_file(tmp_path, server.base, {
        ("Capitol Ledger", "US", "en"): ["/feeds/rss.xml", "/feeds/gone.xml"]}))
    outcomes = check_feeds(registry, fast_fetcher(server), progress=False)
    assert [(o.status, o.items, o.reason) for o in outcomes] == [("ok", 12, None), ("failed", 0, "HTTP 404")]


@pytest.mark.slow
def test_cli_exits_nonzero_only_when_nothing_could_be_fetched(server, tmp_path):
    db = tmp_path / "cli.db"
    bad = registry_file(tmp_path, server.base, {("Broken", "US", "en"): ["/feeds/broken.xml", "/feeds/gone.xml"]})
    result = cli("ingest", "--sources", bad, "--db", db, "--delay", "0", "--timeout", "1",
                 "--allow-private", server.authority, check=False)
    assert result.returncode == 1
    assert "feeds: 2 failed" in result.stdout and "no feed could be fetched" in result.stderr
    assert "failed: Broken" in result.stdout and "HTTP 404" in result.stdout


@pytest.mark.slow
def test_cli_run_stops_after_ingest_when_no_feed_could_be_fetched(server, tmp_path):
    bad = registry_file(tmp_path, server.base, {("Broken", "US", "en"): ["/feeds/broken.xml"]})
    db, out = tmp_path / "run.db", tmp_path / "out"
    result = cli("run", "--sources", bad, "--db", db, "--out", out, "--delay", "0", "--timeout", "1",
                 "--allow-private", server.authority, check=False)
    assert result.returncode == 1 and "no feed could be fetched" in result.stderr
    assert not out.exists()  # neither grouped nor reported
    with Store(db) as store:
        assert store.count("runs") == 0


@pytest.mark.slow
def test_run_from_sources_writes_a_report_with_url_and_text(server, tmp_path):
    path = registry_file(tmp_path, server.base, {("Stockholms Kuriren", "SE", "sv"): ["/feeds/atom.xml"]})
    out = tmp_path / "out"
    result = cli("run", "--sources", path, "--db", tmp_path / "run.db", "--out", out, "--delay", "0",
                 "--allow-private", server.authority)
    assert "articles: 2 new" in result.stdout and "same text as a stored article (1)" in result.stdout
    import pandas as pd

    articles = pd.read_csv(out / "articles.csv")
    assert {"url", "text"} <= set(articles.columns) and articles["url"].str.startswith(server.base).all()


@pytest.mark.slow
def test_a_killed_ingest_resumes_without_duplicates_or_half_articles(tmp_path):
    with FixtureServer(slow_seconds=0.5, many_items=40, slow_from=10) as server:
        path = registry_file(tmp_path, server.base, {("Wire Desk", "GB", "en"): ["/feeds/many.xml"]})
        db = tmp_path / "kill.db"
        command = [sys.executable, "-m", "perspectives.cli", "ingest", "--sources", str(path), "--db", str(db),
                   "--delay", "0", "--allow-private", server.authority]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(0.2)
            if db.exists() and _count(db) >= 5:
                break
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        partial = _count(db)
        assert 5 <= partial < 40  # killed mid-run
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT COUNT(*) FROM feeds").fetchone()[0] == 0  # validators not saved yet
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=120)
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT id, title, text FROM articles").fetchall()
        assert len(rows) == len({r[0] for r in rows}) == 40
        assert all(title.startswith("Numbered report") and "Report number" in text for _, title, text in rows)


def _count(db) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def polled(server, tmp_path, feeds_by_outlet):
    """One poll of a registry of `feeds_by_outlet` (as `registry_file` takes it) into a new store: the summary and the
    stored articles."""
    path = registry_file(tmp_path, server.base, feeds_by_outlet)
    with Store(tmp_path / "polled.db") as store:
        summary = ingest_sources(load_registry(path), store, fetcher=fast_fetcher(server), since="2025-01-01",
                                 progress=False)
        return summary, store.articles()


def test_web_items_pass_the_file_validator_and_a_bad_declared_language_is_detected_instead(server, tmp_path):
    summary, articles = polled(server, tmp_path, {("Mislabelled Post", "SE", "en"): ["/feeds/badlang.xml"],
                                                  ("Stockholms Kuriren", "SE", "sv"): ["/feeds/gone.xml"]})
    [article] = articles.to_dict("records")
    assert summary.new == 1 and article["language"] == "sv"  # the feed said "inglish": no language
    assert article["published_at"] == "2025-08-08T08:15:00Z" and article["country"] == "SE"


def test_an_item_with_a_summary_and_no_title_is_an_article(server, tmp_path):
    summary, articles = polled(server, tmp_path, {("Baltic Wire", "PL", "en"): ["/feeds/untitled.xml"]})
    [article] = articles.to_dict("records")
    assert summary.new == 1 and not summary.skipped
    assert article["title"] == "" and article["text"].startswith("Harbour officials in Gdansk")
    assert article["extra"]["extraction"].startswith("feed summary (")


def test_an_aggregators_items_are_stored_under_the_outlets_their_source_names(server, tmp_path):
    summary, articles = polled(server, tmp_path, {("News Digest", "US", "en"): ["/feeds/news-aggregator.xml"],
                                                  ("Harbour Gazette", "PL", "en"): ["/feeds/broken.xml"]})
    articles = articles.sort_values("published_at")
    assert summary.new == 3
    # the registry's outlet of that name, one it does not know (its country unknown), the aggregator's own
    assert articles[["outlet", "country", "title"]].values.tolist() == [
        ["Harbour Gazette", "PL", "Ferry strike ends"], ["Kuriren", None, "Strejken är över"],
        ["News Digest", "US", "Port fees to rise in October"]]
    extras = list(articles["extra"])
    assert [extra.get("aggregator") for extra in extras] == ["News Digest", "News Digest", None]
    assert extras[0]["outlet_source"] == "feed source" and "outlet_source" not in extras[2]


def test_a_feeds_declared_language_that_its_items_contradict_is_read_from_them(server, tmp_path):
    summary, articles = polled(server, tmp_path, {("Bilingual Post", "ES", "es"): ["/feeds/bilingual.xml"]})
    articles = articles.sort_values("published_at")
    assert summary.new == 6
    assert list(articles["language"]) == ["en"] * 3 + ["es"] * 3  # the feed said "en" of every item
    assert [extra.get("language_given") for extra in articles["extra"]] == [None] * 3 + ["en"] * 3


def test_a_feeds_stub_summaries_are_read_off_and_each_item_is_its_title(server, tmp_path):
    summary, articles = polled(server, tmp_path, {("Harbour Premium", "PL", "en"): ["/feeds/stubs.xml"]})
    assert summary.new == 3 and not summary.skipped  # no item is "the same text" as another
    assert sorted(articles["title"]) == ["Ferry strike ends after two days", "Grain ship docks in Gdansk",
                                         "Port fees to rise in October"]
    assert list(articles["text"]) == [""] * 3
    assert articles["extra"][0]["text_boilerplate"] == [
        "Subscribe to read the full story. Already a subscriber? Sign in."]


def test_site_names_ending_a_feeds_titles_and_its_summaries_furniture_are_read_off(server, tmp_path):
    summary, articles = polled(server, tmp_path, {("Baltic Wire", "PL", "en"): ["/feeds/aggregator.xml"]})
    articles = articles.sort_values("published_at")
    assert summary.new == 5
    assert list(articles["title"]) == ["Grain ship docks in Gdansk", "Ferry strike ends after two days",
                                       "Port fees to rise in October",  # a tail ending three of the feed's titles
                                       "Baltic cargo volumes at a record",  # the outlet's own name
                                       "Dockers vote on the offer – result due Friday"]  # a tail of its own
    given = [extra.get("title_given") for extra in articles["extra"]]
    assert given[0] == "Grain ship docks in Gdansk - Harbour Gazette" and given[4] is None
    # a sentence ending four of the five summaries is the feed's furniture, read off and kept
    assert articles["text"].iloc[0] == "A second grain ship docked in Gdansk after the dockers' strike ended on " \
                                       "Thursday."
    read_off = [extra.get("text_boilerplate") for extra in articles["extra"]]
    assert read_off == [["Read more at Baltic Wire."]] * 4 + [None]
    # a summary of HTML paragraphs is one line of their sentences, not "...offer.The result..."
    assert articles["text"].iloc[4] == ("Dockers in Gdynia began voting on the employers' offer. "
                                        "The result is due on Friday.")
