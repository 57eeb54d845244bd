"""The fetcher against hostile feeds: links and redirects to internal services, names that resolve to loopback,
servers that drip or ask to come back in an hour, redirects into paths robots.txt forbids.

Two real servers on 127.0.0.1: `site` plays the outlet, `internal` (another port) a service inside the network,
e.g. an admin console or a cloud metadata endpoint. Each attack is first shown to work where it is allowed.
"""

import sqlite3
import time
from contextlib import closing

import pytest

from perspectives import pipeline
from perspectives.ingest.addresses import AddressGuard, address_problem, parse_allowance
from perspectives.ingest.feeds import ingest_sources
from perspectives.ingest.files import InputError
from perspectives.ingest.http import FetchError, PoliteFetcher
from perspectives.ingest.sources import load_registry
from perspectives.store import Store
from tests.conftest import cli
from tests.webserver import FixtureServer, fast_fetcher, registry_file

SECRET = "/internal/secret.html"
MARKER = "INTERNAL-ONLY-7f3a"
LOOPBACK = "refused: 127.0.0.1 is a loopback address"


@pytest.fixture(scope="module")
def site():
    with FixtureServer() as running:
        yield running


@pytest.fixture(scope="module")
def internal():
    with FixtureServer() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_counts(site, internal):
    site.hits.clear()
    internal.hits.clear()


@pytest.fixture
def linking_feed(site, internal, tmp_path):
    """A registry whose one feed links to an article on the site and to the internal service."""
    site.feed_links = [f"{site.base}/articles/deadline.html", f"{internal.base}{SECRET}"]
    return registry_file(tmp_path, site.base, {("Capitol Ledger", "US", "en"): ["/feeds/links.xml"]})


@pytest.mark.parametrize("address, problem", [
    ("127.0.0.1", "a loopback address"),
    ("127.255.0.9", "a loopback address"),
    ("10.1.2.3", "a private address"),
    ("172.16.5.4", "a private address"),
    ("192.168.0.1", "a private address"),
    ("169.254.169.254", "a link-local address"),  # cloud metadata services
    ("0.0.0.0", "an unspecified address"),
    ("224.0.0.251", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "a reserved address"),
    ("100.64.0.1", "a non-public address"),  # carrier-grade NAT
    ("::1", "a loopback address"),
    ("::", "an unspecified address"),
    ("fe80::1%eth0", "a link-local address"),
    ("ff02::1", "a multicast address"),
    ("fd12:3456::1", "a private address"),
    ("fec0::1", "a site-local address"),
    ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped
    ("::ffff:169.254.169.254", "a link-local address"),
    ("::ffff:10.0.0.1", "a private address"),
    ("64:ff9b::a9fe:a9fe", "a link-local address"),  # NAT64 of 169.254.169.254
    ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
    ("8.8.8.8", None),
    ("93.184.215.14", None),
    ("2606:4700:4700::1111", None),
    ("::ffff:8.8.8.8", None),
    ("64:ff9b::808:808", None),
])
def test_address_classification(address, problem):
    assert address_problem(address) == problem


@pytest.mark.parametrize("entry, parsed", [
    ("127.0.0.1:8001", ("127.0.0.1", 8001)),
    ("LocalHost", ("localhost", None)),
    ("intranet.example.:80", ("intranet.example", 80)),
    ("[::1]:8080", ("::1", 8080)),
    ("::1", ("::1", None)),
    ("[0:0:0:0:0:0:0:1]", ("::1", None)),
])
def test_allowances_are_parsed(entry, parsed):
    assert parse_allowance(entry) == parsed


@pytest.mark.parametrize("entry", ["host:abc", "host:0", "host:70000", ":80", "", "user@host", "host/path"])
def test_a_malformed_allowance_is_an_input_error(entry):
    with pytest.raises(InputError, match="expected HOST or HOST:PORT"):
        parse_allowance(entry)


def test_an_allowance_matches_the_host_as_written_or_resolved_and_its_port():
    guard = AddressGuard.from_entries(["127.0.0.1:8001", "localhost:9000", "10.0.0.7"])
    assert guard.permits("127.0.0.1", "127.0.0.1", 8001)
    assert not guard.permits("127.0.0.1", "127.0.0.1", 8002)
    assert guard.permits("localhost", "127.0.0.1", 8001)  # the resolved address is allowed
    assert guard.permits("localhost", "127.0.0.1", 9000)  # the name as written is allowed
    assert not guard.permits("127.0.0.1", "127.0.0.1", 9000)  # names in entries are not resolved
    assert guard.permits("10.0.0.7", "10.0.0.7", 22)  # no port: every port
    assert not guard.permits("10.0.0.8", "10.0.0.8", 80)
    assert guard.permits("news.example", "93.184.215.14", 80)  # public addresses need no allowance


def test_a_feed_item_linking_to_an_internal_service_is_not_fetched(site, internal, linking_feed, tmp_path):
    with Store(tmp_path / "open.db") as store:  # the attack, where the internal port is allowed
        ingest_sources(load_registry(linking_feed), store, fetcher=fast_fetcher(site, internal), progress=False)
        leaked = store.articles().set_index("url").loc[f"{internal.base}{SECRET}"]
    assert MARKER in leaked["text"] and internal.hits[SECRET] == 1
    internal.hits.clear()

    with Store(tmp_path / "guarded.db") as store:
        summary = ingest_sources(load_registry(linking_feed), store, fetcher=fast_fetcher(site), progress=False)
        articles = store.articles().set_index("url")
    assert sum(internal.hits.values()) == 0  # not even its robots.txt
    assert summary.summary_only_reasons == {LOOPBACK: 1}
    kept = articles.loc[f"{internal.base}{SECRET}"]
    assert kept["extra"]["extraction"] == f"feed summary ({LOOPBACK})" and MARKER not in kept["text"]
    assert articles.loc[f"{site.base}/articles/deadline.html", "extra"]["extraction"] == "trafilatura"


def test_a_redirect_to_an_internal_service_is_not_followed(site, internal):
    bounce = f"{site.base}/redirect?to={internal.base}{SECRET}"
    assert MARKER in fast_fetcher(site, internal).get(bounce).body.decode()  # the attack, where allowed
    internal.hits.clear()
    with pytest.raises(FetchError, match=f"^{LOOPBACK}$"):
        fast_fetcher(site).get(bounce)
    assert sum(internal.hits.values()) == 0


def test_allowing_one_port_does_not_allow_another_and_a_host_alone_allows_every_port(site, internal):
    with pytest.raises(FetchError, match=f"^{LOOPBACK}$"):
        fast_fetcher(site).get(f"{internal.base}{SECRET}")
    assert sum(internal.hits.values()) == 0
    everything = fast_fetcher(allow_private=["127.0.0.1"])
    assert MARKER in everything.get(f"{internal.base}{SECRET}").body.decode()
    assert everything.get(f"{site.base}/articles/deadline.html").status == 200


def test_the_environment_variable_allows_too(site, internal, monkeypatch):
    monkeypatch.setenv("PERSPECTIVES_ALLOW_PRIVATE", site.authority)
    with pytest.raises(FetchError, match=f"^{LOOPBACK}$"):
        fast_fetcher().get(f"{internal.base}{SECRET}")
    assert fast_fetcher().get(f"{site.base}/articles/deadline.html").status == 200
    monkeypatch.setenv("PERSPECTIVES_ALLOW_PRIVATE", f"{site.authority}, {internal.authority}")
    assert MARKER in fast_fetcher().get(f"{internal.base}{SECRET}").body.decode()
    monkeypatch.setenv("PERSPECTIVES_ALLOW_PRIVATE", f"{site.authority},site:http")
    with pytest.raises(InputError, match="'site:http': expected HOST or HOST:PORT"):
        PoliteFetcher()


@pytest.mark.parametrize("host, reason", [
    ("localhost", "refused: localhost resolves to 127.0.0.1, a loopback address"),
    ("2130706433", "refused: 2130706433 resolves to 127.0.0.1, a loopback address"),  # 127.0.0.1 as one number
    ("0x7f.1", "refused: 0x7f.1 resolves to 127.0.0.1, a loopback address"),
    ("[::ffff:127.0.0.1]", "refused: ::ffff:127.0.0.1 is a loopback address"),
    ("0.0.0.0", "refused: 0.0.0.0 is an unspecified address"),  # reaches this machine on Linux
])
def test_names_and_spellings_that_reach_loopback_are_refused(site, host, reason):
    with pytest.raises(FetchError, match=f"^{reason}$"):
        fast_fetcher().get(f"http://{host}:{site.server_address[1]}/articles/deadline.html")
    assert sum(site.hits.values()) == 0


def test_an_allowed_name_is_matched_as_written(site):
    port = site.server_address[1]
    by_name = fast_fetcher(allow_private=[f"localhost:{port}"])
    assert by_name.get(f"http://localhost:{port}/articles/deadline.html").status == 200
    with pytest.raises(FetchError, match=f"^{LOOPBACK}$"):
        by_name.get(f"http://127.0.0.1:{port}/articles/deadline.html")


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_a_server_that_drips_fails_at_the_deadline(site, path):
    """Every read gets a byte within 0.4 s, so a per-read timeout would wait out all 40 bytes (16 s)."""
    fetcher = fast_fetcher(site, timeout=1.0, retries=3)
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"^timed out after 1 s$"):
        fetcher.get(f"{site.base}{path}")
    assert time.monotonic() - start < 1.5


def test_retry_after_longer_than_the_time_left_fails_at_once(site):
    fetcher = fast_fetcher(site, timeout=2.0, retries=3)
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"^HTTP 503: asked to retry after 3600 s, more than the 2\.0 s left$"):
        fetcher.get(f"{site.base}/busy?after=3600")
    assert time.monotonic() - start < 2.0
    assert site.hits["/busy"] == 1
    with pytest.raises(FetchError, match=r"^HTTP 503 \(4 tries\)$"):  # a Retry-After that fits is obeyed
        fetcher.get(f"{site.base}/busy?after=0")
    assert site.hits["/busy"] == 5


def test_robots_txt_is_checked_on_every_redirect_hop(site, internal):
    forbidden = f"{site.base}/redirect?to=/private/secret.html"
    with pytest.raises(FetchError, match="^HTTP 404$"):  # without robots.txt, the redirect gets there
        fast_fetcher(site, obey_robots=False).get(forbidden)
    assert site.hits["/private/secret.html"] == 1
    with pytest.raises(FetchError, match="^disallowed by robots.txt$"):
        fast_fetcher(site).get(forbidden)
    assert site.hits["/private/secret.html"] == 1
    with pytest.raises(FetchError, match="^disallowed by robots.txt$"):  # the target's own robots.txt
        fast_fetcher(site, internal).get(f"{site.base}/redirect?to={internal.base}/private/secret.html")
    assert internal.hits["/robots.txt"] == 1 and internal.hits["/private/secret.html"] == 0


@pytest.mark.parametrize("status, outcome", [
    (404, None),  # no robots.txt: everything may be fetched
    (503, r"^robots.txt unreadable, so nothing is fetched from this site \(HTTP 503 \(2 tries\)\)$"),
])
def test_a_missing_robots_txt_allows_everything_and_an_unreadable_one_nothing(internal, status, outcome):
    internal.statuses["/robots.txt"] = status
    try:
        if outcome is None:
            assert fast_fetcher(internal).get(f"{internal.base}{SECRET}").status == 200
        else:
            with pytest.raises(FetchError, match=outcome):
                fast_fetcher(internal).get(f"{internal.base}{SECRET}")
            assert internal.hits[SECRET] == 0
    finally:
        internal.statuses.clear()


def test_the_store_is_free_while_pages_are_fetched(tmp_path):
    """Another writer gets the store at once during every page request: no transaction spans a network wait."""
    db = tmp_path / "free.db"
    probes = []

    def take_the_store(path):
        if path.startswith("/many/"):
            with closing(sqlite3.connect(db, timeout=2)) as other:
                try:
                    other.execute("BEGIN IMMEDIATE")
                    other.rollback()
                    probes.append("free")
                except sqlite3.OperationalError:
                    probes.append("locked")

    with FixtureServer(page_delay=0.05, many_items=8) as server, Store(db) as store:
        server.on_request = take_the_store
        registry = load_registry(registry_file(tmp_path, server.base, {("Wire Desk", "GB", "en"): ["/feeds/many.xml"]}))
        summary = ingest_sources(registry, store, fetcher=fast_fetcher(server, timeout=5.0), workers=2,
                                 progress=False)
    assert summary.new == 8 and probes == ["free"] * 8


def test_the_python_api_takes_allowances(site, internal, linking_feed, tmp_path):
    summary = pipeline.ingest(sources=linking_feed, db=tmp_path / "api.db", allow_private=[site.authority],
                              progress=False).web
    assert summary.new == 2 and summary.summary_only_reasons == {LOOPBACK: 1}
    assert sum(internal.hits.values()) == 0
    with pytest.raises(ValueError, match="give allow_private to the PoliteFetcher"):
        pipeline.ingest(sources=linking_feed, db=tmp_path / "api.db", fetcher=PoliteFetcher(),
                        allow_private=[site.authority])


def test_the_cli_refuses_by_default_and_allows_what_it_is_told(site, internal, linking_feed, tmp_path, monkeypatch):
    db = tmp_path / "cli.db"
    refused = cli("ingest", "--sources", linking_feed, "--db", db, "--delay", "0", check=False)
    assert refused.returncode == 1 and f"links.xml: {LOOPBACK}" in refused.stdout

    allowed = cli("ingest", "--sources", linking_feed, "--db", db, "--delay", "0",
                  "--allow-private", site.authority)
    assert f"1 stored with the feed summary only ({LOOPBACK} (1))" in allowed.stdout
    assert sum(internal.hits.values()) == 0

    monkeypatch.setenv("PERSPECTIVES_ALLOW_PRIVATE", site.authority)
    checked = cli("sources", "check", "--sources", linking_feed, "--delay", "0")
    assert "1 of 1 feeds ok" in checked.stdout
