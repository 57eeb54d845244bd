"""Shared fixtures. The model hub is unreachable here, so the whole suite runs with the hub switched off."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import html  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo" / "articles.jsonl"
BLURBS = ROOT / "data" / "blurbs" / "blurbs.jsonl"
BLURBS_55 = ROOT / "data" / "blurbs" / "blurbs_55.jsonl"
BIG_EVENTS = ROOT / "data" / "blurbs" / "big_events.jsonl"
TWIN_EVENTS = ROOT / "data" / "twin_events" / "twin_events.jsonl"
SHARED_ENTITIES = ROOT / "data" / "twin_events" / "shared_entities.jsonl"
FOLLOW_UPS = ROOT / "data" / "follow_ups" / "follow_ups.jsonl"
OVER_MONTHS = ROOT / "data" / "follow_ups" / "over_months.jsonl"
SHARED = ROOT.parent / "shared" / "datasets"
ARTIFACTS = ROOT / "tests" / "artifacts"


def cli(*args, cwd=None, check=True, env=None) -> subprocess.CompletedProcess:
    """Run the installed `perspectives` command as a user would (`env`: variables set for it)."""
    result = subprocess.run([sys.executable, "-m", "perspectives.cli", *map(str, args)], cwd=cwd or ROOT,
                            capture_output=True, text=True, timeout=600, env=os.environ | (env or {}))
    if check and result.returncode != 0:
        # The exit status tells a crash (a signal: negative) from an error the command reported (2, or 1).
        raise AssertionError(f"perspectives {' '.join(map(str, args))} failed (exit status {result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def embedder():
    from perspectives.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo corpus through `perspectives run`, once per session: the store, the report folder, the output."""
    base = tmp_path_factory.mktemp("demo")
    db, out = base / "demo.db", base / "out"
    result = cli("run", DEMO, "--db", db, "--out", out)
    return {"db": db, "out": out, "stdout": result.stdout, "stderr": result.stderr}


@pytest.fixture(scope="session")
def demo_tables(demo_run):
    out = demo_run["out"]
    return {name: pd.read_csv(out / f"{name}.csv") for name in ("articles", "stories", "takes")}


@pytest.fixture(scope="session")
def aug8_story_id(demo_tables):
    articles = demo_tables["articles"]
    return articles.loc[articles["gold_story"] == "aug8-deadline", "story_id"].mode()[0]


@pytest.fixture(scope="session")
def pixel_server():
    """A real HTTP server on 127.0.0.1 that records every request: the hostile corpus points its images and links
    here, so any request it gets means the app rendered a URL from the data."""
    from tests.webserver import FixtureServer

    with FixtureServer() as server:
        yield server


@pytest.fixture(scope="session")
def hostile_run(pixel_server, tmp_path_factory):
    """`perspectives run` on articles written to attack the outputs: spreadsheet formulas in every field, a
    headline whose blank line ends the app's HTML block so that Markdown after it would load an image and make a
    link, HTML in an outlet's name, and a rejected row whose id is a formula. The headline's HTML is given as
    character references, which ingestion reads back into the tags (HTML given as such is read as its text): what
    reaches the store is the attack itself."""
    base = tmp_path_factory.mktemp("hostile")
    url = pixel_server.base
    headline = (f"Deadline talks\n\n![x]({url}/pixel.png) and [read this]({url}/link) <b>now</b>\n\n"
                f"<img src=\"{url}/raw.png\">")
    text = (f"-2+3 officials said the deadline expires on Friday. =1+2 is what Kremlin aide Yuri Ushakov told "
            f"reporters. Talks in Moscow continue, see [more]({url}/body). @channel \"We will see,\" Putin said.")
    outlets = [(f'=HYPERLINK("{url}/cell","click")', "US"), (f'<a href="{url}/plotly">Kyiv Signal</a>', "UA"),
               ("+Capitol Ledger", "GB")]
    rows = [{"id": f"h{i}", "outlet": outlet, "country": country, "published_at": "2025-08-08T10:00:00Z",
             "title": html.escape(headline, quote=False), "text": text, "note": "=1+1",
             "meta": {"k": i} if i else "plain"}
            for i, (outlet, country) in enumerate(outlets)]
    rows.append({"id": "=cmd|' /C calc'!A0", "outlet": "@x", "note": "=1+1"})  # neither title nor text: rejected
    source = base / "hostile.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    db, out = base / "hostile.db", base / "out"
    cli("run", source, "--db", db, "--out", out, "--window", "30")
    return {"db": db, "out": out, "headline": headline, "outlets": [o for o, _ in outlets], "url": url}


# Fixtures that load the embedding model or run the whole pipeline: every test using one is slow, whether or not it
# says so, so that `make test-fast` (`-m "not slow"`) stays fast.
SLOW_FIXTURES = {"embedder", "demo_run", "demo_tables", "aug8_story_id", "hostile_run"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
