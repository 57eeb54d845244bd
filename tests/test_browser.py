"""A real headless Chromium against the app served on 127.0.0.1."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ARTIFACTS, ROOT

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
    """Article text holding HTML must show as characters, never run."""
    evil = "<script>alert(1)</script> and <img src=x onerror=alert(2)>"
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
