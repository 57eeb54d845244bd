"""A real HTTP server on 127.0.0.1 serving the fixture feeds and pages, plus the misbehaving routes tests need.

A second instance plays an internal service (its /internal/secret.html) that feeds must not reach.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from perspectives.ingest.http import PoliteFetcher

FIXTURES = Path(__file__).parent / "fixtures" / "web"
HUGE_BYTES = 20 * 1024 * 1024
DRIP_INTERVAL = 0.4  # seconds between two bytes of /drip and /drip-headers


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, slow_seconds: float = 2.0, page_delay: float = 0.0, many_items: int = 0,
                 slow_from: int | None = None):
        super().__init__(("127.0.0.1", 0), FixtureHandler)
        self.slow_seconds = slow_seconds
        self.page_delay = page_delay  # for the kill test: every generated page takes this long
        self.many_items = many_items  # size of /feeds/many.xml
        # For the kill test: /many/N.html from N = slow_from on takes slow_seconds more, so that a run is still
        # fetching long after its first articles are stored, whatever the machine's speed (the fetcher's two slots
        # per host go to pages in any order, so the store can wait on an early page while later ones arrive).
        self.slow_from = slow_from
        self.rewrites: dict[str, list[tuple[bytes, bytes]]] = {}  # path -> replacements, to change a fixture live
        self.feed_links: list[str] = []  # the items of /feeds/links.xml
        self.statuses: dict[str, int] = {}  # path -> an error status to answer with instead
        self.on_request = None  # called with each request's path before it is answered
        self.hits: Counter = Counter()
        self.requests: list[tuple[float, str, str]] = []  # (time, path, user agent)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    @property
    def base(self) -> str:
        return f"http://{self.authority}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class FixtureHandler(BaseHTTPRequestHandler):
    server: FixtureServer

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        self.server.hits[path] += 1
        self.server.requests.append((time.monotonic(), path, self.headers.get("User-Agent", "")))
        if self.server.on_request:
            self.server.on_request(path)
        if path in self.server.statuses:
            return self._send(self.server.statuses[path], b"<h1>Error</h1>", "text/html")
        query = {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}
        route = {
            "/feeds/gone.xml": self._not_found,
            "/articles/missing.html": self._not_found,
            "/articles/flaky.html": self._flaky,
            "/articles/slow.html": self._slow,
            "/articles/loop.html": lambda: self._redirect("/articles/loop-again.html"),
            "/articles/loop-again.html": lambda: self._redirect("/articles/loop.html"),
            "/articles/huge.html": self._huge,
            "/feeds/many.xml": self._many_feed,
            "/feeds/links.xml": self._links_feed,
            "/redirect": lambda: self._redirect(query["to"]),
            "/busy": lambda: self._send(503, b"<h1>Busy</h1>", "text/html", {"Retry-After": query["after"]}),
            "/drip": self._drip_body,
            "/drip-headers": self._drip_headers,
        }.get(path)
        if route:
            return route()
        if path.startswith("/many/"):
            return self._many_page(path)
        self._file(path)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (tests time out)
            self.wfile.write(body)

    def _file(self, path: str):
        file = (FIXTURES / path.lstrip("/")).resolve()
        if not file.is_file() or FIXTURES.resolve() not in file.parents:
            return self._not_found()
        body = file.read_bytes().replace(b"HOST", self.server.base.removeprefix("http://").encode())
        for old, new in self.server.rewrites.get(path, []):
            body = body.replace(old, new)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if path.startswith("/feeds/") and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        kind = {".xml": "application/xml", ".txt": "text/plain"}.get(file.suffix, "text/html")
        if file.name == "latin1.html":
            kind = "text/html; charset=iso-8859-1"
        self._send(200, body, kind, {"ETag": etag})

    def _not_found(self):
        self._send(404, b"<h1>Not found</h1>", "text/html")

    def _flaky(self):
        if self.server.hits["/articles/flaky.html"] == 1:
            return self._send(500, b"<h1>Internal error</h1>", "text/html")
        self._file("/articles/flaky.html")

    def _slow(self):
        time.sleep(self.server.slow_seconds)
        self._file("/articles/deadline.html")

    def _redirect(self, target: str):
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _huge(self):
        # No Content-Length: the client must stop reading by itself.
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"<p>" + b"filler text " * 5000 + b"</p>\n"
        sent = 0
        try:
            while sent < HUGE_BYTES:
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _drip(self, data: bytes):
        try:
            for byte in data:
                self.wfile.write(bytes([byte]))
                time.sleep(DRIP_INTERVAL)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _drip_body(self):
        """Headers at once, then the body one byte at a time: every read gets data, none times out."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "40")
        self.end_headers()
        self._drip(b"<html><body><p>drip</p></body></html>\n\n")

    def _drip_headers(self):
        """Even the status line and headers come one byte at a time."""
        self._drip(b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 40 + b"\r\n\r\n")

    def _rss(self, items: list[tuple[str, str, str]]):
        """An RSS feed of (title, link, publication date) items."""
        entries = "".join(f"<item><title>{title}</title><link>{escape(link)}</link><description>Summary of {title}."
                          f"</description><pubDate>{date}</pubDate></item>" for title, link, date in items)
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Generated</title>{entries}</channel></rss>'
        self._send(200, body.encode(), "application/xml")

    def _many_feed(self):
        self._rss([(f"Numbered report {i}", f"{self.server.base}/many/{i}.html",
                    f"Fri, 08 Aug 2025 09:{i % 60:02d}:00 +0000") for i in range(self.server.many_items)])

    def _links_feed(self):
        self._rss([(f"Linked item {i}", link, "Fri, 08 Aug 2025 09:00:00 +0000")
                   for i, link in enumerate(self.server.feed_links)])

    def _many_page(self, path: str):
        time.sleep(self.server.page_delay)
        number = path.rsplit("/", 1)[-1].split(".")[0]
        if self.server.slow_from is not None and int(number) >= self.server.slow_from:
            time.sleep(self.server.slow_seconds)
        sentences = " ".join(f"Report number {number} describes event detail {k} in plain words." for k in range(12))
        body = (f"<html><head><title>Numbered report {number}</title></head><body><article>"
                f"<h1>Numbered report {number}</h1><p>{sentences}</p><p>{sentences}</p></article></body></html>")
        self._send(200, body.encode(), "text/html")


def registry_file(tmp_path, base, feeds_by_outlet):
    """An outlet registry (TOML) in `tmp_path`: {(name, country, language): [feed paths on `base`]}."""
    blocks = []
    for (name, country, language), feeds in feeds_by_outlet.items():
        urls = ", ".join(f'"{base}{f}"' for f in feeds)
        blocks.append(f'[[outlet]]\nname = "{name}"\ncountry = "{country}"\nlanguage = "{language}"\n'
                      f'feeds = [{urls}]\n')
    path = tmp_path / "outlets.toml"
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def fast_fetcher(*servers, **options):
    """A fetcher without waits that may contact `servers` (and no other non-public address)."""
    settings = {"timeout": 0.5, "min_interval": 0.0, "retries": 1, "backoff": 0.0,
                "allow_private": [server.authority for server in servers], **options}
    return PoliteFetcher(**settings)
