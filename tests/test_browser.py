"""A real headless Chromium against the app served on 127.0.0.1."""

import html
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from perspectives.report import FORMULA_STARTS
from tests.conftest import ARTIFACTS, ROOT
from tests.test_outputs import cells

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
         "--no-first-run", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "perspectives.cli", "app", "--db", str(db), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("the app did not start within 60 s")
    return server, url


@pytest.fixture(scope="module")
def served_app(demo_run):
    server, url = serve(demo_run["db"])
    yield url
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium); `make test` installs it when run as root")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


def test_story_page_in_a_real_browser(served_app, browser, aug8_story_id, demo_tables):
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(f"{served_app}/?story={aug8_story_id}")
    page.wait_for_selector("div.take", timeout=60_000)
    outlets = demo_tables["takes"].query("story_id == @aug8_story_id")["outlet"]
    assert page.locator("div.take").count() == len(outlets)
    assert page.locator("div.takes").evaluate("e => e.scrollWidth > e.clientWidth")  # scrolls sideways
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "story_page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()


def test_front_page_and_map_in_a_real_browser(served_app, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(served_app)
    page.get_by_text("Open a story").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "front_page.png"), full_page=True)
    page.get_by_text("Coverage map").first.click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let the map finish drawing
    page.screenshot(path=str(ARTIFACTS / "coverage_map.png"), full_page=True)
    assert page.locator(".js-plotly-plot .choroplethlayer path").count() >= 5
    page.close()


def test_script_in_an_article_renders_inertly(browser, tmp_path):
    """Article text holding HTML must show as characters, never run. Given as character references, which
    ingestion reads back into the tags (HTML given as such is read as its text), it reaches the store as written."""
    evil = html.escape("<script>alert(1)</script> and <img src=x onerror=alert(2)>", quote=False)
    rows = [{"id": f"e{i}", "outlet": outlet, "country": country, "published_at": "2025-08-08T10:00:00Z",
             "title": f"Deadline story {evil}", "text": f"The deadline expires on Friday, officials said. {evil} "
             "Talks in Moscow continue."}  # one wire text, so the two always make one story
            for i, (outlet, country) in enumerate([("Capitol Ledger", "US"), ("Kyiv Signal", "UA")])]
    source = tmp_path / "evil.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    db = tmp_path / "evil.db"
    subprocess.run([sys.executable, "-m", "perspectives.cli", "run", str(source), "--db", str(db), "--out",
                    str(tmp_path / "out"), "--window", "30"], cwd=ROOT, check=True, capture_output=True, timeout=300)
    story_id = pd.read_csv(tmp_path / "out" / "articles.csv")["story_id"].iloc[0]
    server, url = serve(db)
    dialogs = []
    try:
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{url}/?story={story_id}")
        page.wait_for_selector("div.take", timeout=60_000)
        page.wait_for_timeout(1500)
        text = page.locator("div.takes").inner_text()
        assert "<script>alert(1)</script>" in text and "onerror=alert(2)" in text
        assert page.locator("div.takes script").count() == 0 and page.locator("div.takes img").count() == 0
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert dialogs == []


def test_a_hostile_story_loads_nothing_and_links_nowhere(hostile_run, pixel_server, browser):
    """A headline whose blank line would end the card's HTML, with a Markdown image and link after it; an outlet
    named with an HTML link; formula cells. Nothing may reach the pixel server, no link may point at it, plotly
    labels stay text, and the exported CSV is defused."""
    story_id = pd.read_csv(hostile_run["out"] / "articles.csv")["story_id"].iloc[0]
    host = hostile_run["url"]
    server, url = serve(hostile_run["db"])
    try:
        page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
        page.goto(f"{url}/?story={story_id}")
        page.wait_for_selector("div.take", timeout=60_000)
        page.wait_for_timeout(1500)
        assert "![x](" in page.locator("div.takes").inner_text()  # the Markdown shows as characters
        assert "![x](" in page.locator("h1").first.inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hostile_story.png"), full_page=True)
        page.get_by_role("tab", name="Tone").click()
        chart = page.get_by_role("tabpanel", name="Tone").locator(".js-plotly-plot").first
        chart.wait_for(timeout=60_000)
        assert any('<a href="' in label for label in chart.locator(".ytick text").all_text_contents())
        links = page.eval_on_selector_all("a", "found => found.map(a => a.href || a.getAttribute('href') || '')")
        images = page.eval_on_selector_all("img, image", "found => found.map(i => i.src || i.getAttribute('href'))")
        assert not [a for a in links if host in str(a)] and not [i for i in images if host in str(i)]
        page.get_by_role("tab", name="Export").click()
        with page.expect_download() as download:
            page.get_by_role("button", name=re.compile(r"^takes\.csv")).click()
        exported = cells(download.value.path())
        assert "'" + hostile_run["outlets"][0] in exported
        assert not [c for c in exported if c.startswith(FORMULA_STARTS)]
        payload = f"![x]({host}/query.png)"
        page.goto(f"{url}/?story={quote(payload)}")
        page.get_by_text("No story with the id").wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        assert payload in page.locator("body").inner_text()  # plain text
        page.screenshot(path=str(ARTIFACTS / "hostile_link.png"), full_page=True)
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert pixel_server.requests == []
