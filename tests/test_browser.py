"""A real headless Chromium against the app served on 127.0.0.1."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


@pytest.fixture(scope="module")
def served_app(demo_run):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "perspectives.cli", "app", "--db", str(demo_run["db"]), "--port", str(port)],
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


def test_story_list_in_a_real_browser(served_app, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(served_app)
    page.get_by_text("Open a story").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "story_list.png"), full_page=True)
    page.close()
