"""A polite HTTP client for feeds and article pages.

It names the project in its User-Agent, honours robots.txt, spaces requests to one host, caps concurrency per
host, retries 5xx answers and timeouts with backoff (urllib3's Retry), follows a limited number of redirects,
stops reading past a size cap, sends conditional requests (ETag / Last-Modified), and fetches only http(s).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.parse import urlparse
from urllib.robotparser import RobotFileParser

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from perspectives import __version__

USER_AGENT = f"perspectives/{__version__} (news comparison engine; polite crawler)"


class FetchError(Exception):
    """A URL could not be fetched; the message is the reason shown in run summaries."""


@dataclass
class Response:
    url: str  # after redirects
    status: int
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_scheme(url: str) -> None:
    scheme = urlparse(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"refused: only http and https URLs are fetched, not {scheme or 'a relative link'}")


class _Host:
    """Per-host politeness: at most `concurrency` requests at once, at least `interval` seconds apart."""

    def __init__(self, concurrency: int, interval: float):
        self.slots = threading.Semaphore(concurrency)
        self.lock = threading.Lock()
        self.interval = interval
        self.next_start = 0.0

    def wait_turn(self) -> None:
        with self.lock:
            delay = self.next_start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.next_start = time.monotonic() + self.interval


class PoliteFetcher:
    def __init__(self, timeout: float = 10.0, max_bytes: int = 5_000_000, min_interval: float = 1.0,
                 per_host_concurrency: int = 2, max_redirects: int = 5, retries: int = 3, backoff: float = 0.5,
                 user_agent: str = USER_AGENT, obey_robots: bool = True):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.min_interval = min_interval
        self.per_host_concurrency = per_host_concurrency
        self.retries = retries
        self.user_agent = user_agent
        self.obey_robots = obey_robots
        self.session = requests.Session()
        self.session.max_redirects = max_redirects
        self.session.headers["User-Agent"] = user_agent
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
                      status_forcelist=(500, 502, 503, 504), allowed_methods={"GET"}, raise_on_status=False,
                      respect_retry_after_header=True)
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, RobotFileParser] = {}
        self._lock = threading.Lock()

    def _host(self, url: str) -> _Host:
        netloc = urlparse(url).netloc.lower()
        with self._lock:
            return self._hosts.setdefault(netloc, _Host(self.per_host_concurrency, self.min_interval))

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        check_scheme(url)
        if self.obey_robots and not self.allowed(url):
            raise FetchError("disallowed by robots.txt")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._get(url, headers)

    def _get(self, url: str, headers: dict) -> Response:
        host = self._host(url)
        with host.slots:
            host.wait_turn()
            try:
                with self.session.get(url, headers=headers, timeout=self.timeout, stream=True) as reply:
                    check_scheme(reply.url)
                    if reply.status_code >= 400:
                        raise FetchError(f"HTTP {reply.status_code}" + (f" after {self.retries} retries"
                                                                        if reply.status_code >= 500 else ""))
                    return Response(reply.url, reply.status_code, self._read_capped(reply), reply.headers.get("ETag"),
                                    reply.headers.get("Last-Modified"), reply.headers.get("Content-Type"))
            except requests.TooManyRedirects:
                raise FetchError(f"too many redirects (more than {self.session.max_redirects})") from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                timed_out = isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower()
                what = f"timed out after {self.timeout:g} s" if timed_out else "connection failed"
                raise FetchError(f"{what} ({self.retries + 1} tries)") from None
            except requests.RequestException as exc:
                raise FetchError(f"request failed: {type(exc).__name__}") from None

    def _read_capped(self, reply: requests.Response) -> bytes:
        limit = f"response larger than the {self.max_bytes / 1e6:g} MB cap"
        declared = reply.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(limit)
        chunks, size = [], 0
        for chunk in reply.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def allowed(self, url: str) -> bool:
        """robots.txt (RFC 9309): a missing file (4xx) allows everything; an unreachable one (5xx) allows nothing."""
        parts = urlparse(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            parser = self._robots.get(origin)
        if parser is None:
            parser = RobotFileParser()
            try:
                body = self._get(f"{origin}/robots.txt", {}).body.decode("utf-8", errors="replace")
                parser.parse(body.splitlines())
            except FetchError as exc:
                if str(exc).startswith("HTTP 4"):
                    parser.allow_all = True
                else:
                    parser.disallow_all = True
            with self._lock:
                self._robots[origin] = parser
        return parser.can_fetch(self.user_agent, url)
