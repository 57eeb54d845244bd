"""A polite, guarded HTTP client for feeds and article pages.

It names the project in its User-Agent, honours robots.txt (protego) on every hop, spaces requests to one host,
caps concurrency per host, retries 429/5xx answers and failed connections with backoff (honouring Retry-After when
it fits), follows a limited number of redirects, stops reading past a size cap, sends conditional requests
(ETag / Last-Modified) and fetches only http(s).

Every hop is fetched by hand on a fresh urllib3 connection so that each one is checked: its scheme, its robots.txt
and the address it connects to (see `addresses`: a name is resolved once, and the connection goes to the address
that passed). One deadline bounds a whole fetch: connecting, every read, retries and redirects. A per-read timeout
cannot stop a server that drips one byte at a time, so a timer shuts the socket down when the deadline passes.
Proxies from the environment are not used: the guard must see the address it connects to.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPException
from urllib.parse import urljoin, urlparse

import certifi
from protego import Protego
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError, InvalidHeader, LocationParseError
from urllib3.util import Retry, make_headers, parse_url

from perspectives.ingest.addresses import AddressGuard, Refused, environment_allowances
from perspectives.version import __version__

USER_AGENT = f"perspectives/{__version__} (news comparison engine; polite crawler)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ALLOW_ALL = Protego.parse("")


class FetchError(Exception):
    """A URL could not be fetched; the message is the reason shown in run summaries."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class AddressRefused(FetchError):
    """The address guard refused the host (see `addresses`)."""


class _Transient(FetchError):
    """A failure worth another try (connection refused or reset, a broken answer)."""


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


@dataclass
class _Reply:
    """One hop's answer."""

    url: str
    status: int
    headers: dict
    body: bytes


def check_url(url: str) -> None:
    """Only absolute http(s) URLs with a host are fetched."""
    try:
        parts = parse_url(url)
    except LocationParseError:
        raise FetchError("invalid URL") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"refused: only http and https URLs are fetched, not {scheme or 'a relative link'}")
    if not parts.host:
        raise FetchError("invalid URL (no host)")


class Deadline:
    """One fetch's time budget; waiting for a turn at a busy host (`paused`) does not count against it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False  # set when the timer cut a connection
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def timed_out(self) -> FetchError:
        return FetchError(f"timed out after {self.seconds:g} s")

    def left(self) -> float:
        """Seconds left; raises the timeout when none are."""
        left = self.end - time.monotonic()
        if left <= 0 or self.expired:
            raise self.timed_out()
        return left

    @contextmanager
    def paused(self):
        start = time.monotonic()
        try:
            yield
        finally:
            self.end += time.monotonic() - start

    @contextmanager
    def cutting(self):
        """Shut down the watched socket when time runs out, so a blocked read returns at once."""
        timer = threading.Timer(self.left(), self._cut)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with self._lock:
                self._sock = None

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
            if self._sock is not None:
                with contextlib.suppress(OSError):  # already closed
                    self._sock.shutdown(socket.SHUT_RDWR)


class _GuardedConnection(HTTPConnection):
    """Connects only to an address the guard accepts, within the deadline."""

    def __init__(self, host: str, port: int, *, guard: AddressGuard, deadline: Deadline, **options):
        super().__init__(host, port, timeout=deadline.left(), **options)
        self.guard = guard
        self.deadline = deadline

    def _new_conn(self) -> socket.socket:
        try:
            candidates = self.guard.resolve(self._dns_host, self.port)
        except Refused as exc:
            raise AddressRefused(str(exc)) from None
        except socket.gaierror:
            raise FetchError(f"cannot resolve {self.host}") from None
        error = None
        for family, sockaddr in candidates:
            timeout = self.deadline.left()
            sock = socket.socket(family, socket.SOCK_STREAM)
            self.deadline.watch(sock)
            try:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or FetchError(f"cannot resolve {self.host}")


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class FairSlots:
    """At most `count` holders at once, served in the order they asked. A plain semaphore lets a thread that has just
    released a slot take it again before a waiting thread wakes: fetching a feed's pages on more threads than a
    host's slots then served the later pages first, and the earliest ones (which the store takes in feed order)
    last."""

    def __init__(self, count: int):
        self.free = count
        self.lock = threading.Lock()
        self.waiting: deque[threading.Event] = deque()

    def acquire(self) -> None:
        with self.lock:
            if self.free and not self.waiting:
                self.free -= 1
                return
            turn = threading.Event()
            self.waiting.append(turn)
        turn.wait()

    def release(self) -> None:
        with self.lock:
            if self.waiting:
                self.waiting.popleft().set()  # the slot passes straight to the longest waiting
            else:
                self.free += 1


class _Host:
    """Per-host politeness: at most `concurrency` requests at once, at least `interval` seconds apart."""

    def __init__(self, concurrency: int, interval: float):
        self.slots = FairSlots(concurrency)
        self.lock = threading.Lock()
        self.interval = interval
        self.next_start = 0.0

    def wait_turn(self) -> None:
        with self.lock:
            delay = self.next_start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.next_start = time.monotonic() + self.interval

    @contextmanager
    def turn(self, deadline: Deadline):
        with deadline.paused():
            self.slots.acquire()
            self.wait_turn()
        try:
            yield
        finally:
            self.slots.release()


class PoliteFetcher:
    """`timeout`: the most seconds one fetch may take (connecting, reading, retries and redirects together; a
    robots.txt lookup is a fetch of its own). `allow_private`: HOST[:PORT] entries whose non-public addresses may be
    contacted, added to those of $PERSPECTIVES_ALLOW_PRIVATE (see `addresses`)."""

    def __init__(self, timeout: float = 10.0, max_bytes: int = 5_000_000, min_interval: float = 1.0,
                 per_host_concurrency: int = 2, max_redirects: int = 5, retries: int = 3, backoff: float = 0.5,
                 user_agent: str = USER_AGENT, obey_robots: bool = True, allow_private: Iterable[str] = ()):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.min_interval = min_interval
        self.per_host_concurrency = per_host_concurrency
        self.max_redirects = max_redirects
        self.retries = retries
        self.backoff = backoff
        self.user_agent = user_agent
        self.obey_robots = obey_robots
        self.guard = AddressGuard.from_entries([*allow_private, *environment_allowances()])
        self.headers = {"User-Agent": user_agent, **make_headers(accept_encoding=True)}
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, Protego | str] = {}  # origin -> its rules, or why its robots.txt is unreadable
        self._lock = threading.Lock()

    def _host(self, url: str) -> _Host:
        netloc = urlparse(url).netloc.lower()
        with self._lock:
            return self._hosts.setdefault(netloc, _Host(self.per_host_concurrency, self.min_interval))

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Response:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        reply = self._fetch(url, headers, self.obey_robots)
        return Response(reply.url, reply.status, reply.body, reply.headers.get("etag"),
                        reply.headers.get("last-modified"), reply.headers.get("content-type"))

    def _fetch(self, url: str, headers: dict, obey_robots: bool) -> _Reply:
        """Follow redirects hop by hop, each hop checked, all within one deadline."""
        deadline = Deadline(self.timeout)
        for _ in range(self.max_redirects + 1):
            check_url(url)
            if obey_robots:
                with deadline.paused():
                    if not self.allowed(url):
                        raise FetchError("disallowed by robots.txt")
            reply = self._with_retries(url, headers, deadline)
            location = reply.headers.get("location")
            if reply.status not in REDIRECT_STATUSES or not location:
                return reply
            url = urljoin(url, location)
        raise FetchError(f"too many redirects (more than {self.max_redirects})")

    def _with_retries(self, url: str, headers: dict, deadline: Deadline) -> _Reply:
        """429 / 5xx answers and failed connections are tried again after a backoff, or after Retry-After when the
        server sends one that fits in the time left (else the fetch fails at once, saying so)."""
        attempt = 0
        while True:  # until an answer, or a failure raised below
            try:
                with self._host(url).turn(deadline):
                    reply = self._exchange(url, headers, deadline)
            except _Transient as exc:
                status, asked, problem = None, None, str(exc)
            else:
                if reply.status < 400:
                    return reply
                if reply.status not in RETRY_STATUSES:
                    raise FetchError(f"HTTP {reply.status}", reply.status)
                status, asked, problem = reply.status, self._retry_after(reply), f"HTTP {reply.status}"
            wait = self.backoff * 2 ** attempt if asked is None else asked
            left = deadline.left()
            if attempt < self.retries and asked is not None and asked >= left:
                raise FetchError(f"{problem}: asked to retry after {asked:g} s, more than the {left:.1f} s left",
                                 status)
            if attempt == self.retries or wait >= left:
                raise FetchError(f"{problem} ({attempt + 1} tries)", status)
            time.sleep(wait)
            attempt += 1

    @staticmethod
    def _retry_after(reply: _Reply) -> float | None:
        value = reply.headers.get("retry-after")
        try:
            return Retry(0).parse_retry_after(value) if value else None
        except InvalidHeader:
            return None

    def _exchange(self, url: str, headers: dict, deadline: Deadline) -> _Reply:
        """One GET on a fresh connection; the body is read only for a success."""
        parts = parse_url(url)
        assert parts.host, "checked by check_url"
        https = parts.scheme == "https"
        options = {"ca_certs": certifi.where()} if https else {}
        connection = (_GuardedHTTPSConnection if https else _GuardedConnection)(
            parts.host.strip("[]"), parts.port or (443 if https else 80), guard=self.guard, deadline=deadline,
            **options)
        answer = None
        try:
            with deadline.cutting():
                connection.connect()
                deadline.watch(connection.sock)  # TLS wrapped the socket the connection started with
                connection.request("GET", parts.request_uri, headers={**self.headers, **headers},
                                   preload_content=False)
                answer = connection.getresponse()
                body = self._read_capped(answer) if answer.status < 300 else b""
        except ssl.SSLCertVerificationError as exc:
            raise FetchError(f"TLS certificate not accepted ({exc.verify_message})") from None
        except (OSError, HTTPError, HTTPException) as exc:
            if deadline.expired:
                raise deadline.timed_out() from None
            raise _Transient(f"connection failed: {type(exc).__name__}") from None
        except ValueError as exc:  # e.g. http.client refusing a character in the URL
            raise FetchError(f"invalid URL ({exc})") from None
        finally:
            if answer is not None:
                answer.close()
            connection.close()
        if deadline.expired:  # a connection cut at the deadline can look like a body that ended
            raise deadline.timed_out()
        return _Reply(url, answer.status, {k.lower(): v for k, v in answer.headers.items()}, body)

    def _read_capped(self, answer) -> bytes:
        limit = f"response larger than the {self.max_bytes / 1e6:g} MB cap"
        declared = answer.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(limit)
        chunks, size = [], 0
        for chunk in answer.stream(65536, decode_content=True):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def allowed(self, url: str) -> bool:
        """Whether robots.txt (RFC 9309) lets us fetch `url`: a missing file (4xx) allows everything. When the file
        cannot be read (5xx, no answer) nothing may be fetched and FetchError says why; so it does when the address
        guard refuses the host."""
        parts = urlparse(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            rules = self._robots.get(origin)
        if rules is None:
            rules = self._robots_of(origin)
            with self._lock:
                self._robots[origin] = rules
        if isinstance(rules, str):
            raise FetchError(f"robots.txt unreadable, so nothing is fetched from this site ({rules})")
        return rules.can_fetch(url, self.user_agent)

    def _robots_of(self, origin: str) -> Protego | str:
        """The site's rules, or why its robots.txt could not be read."""
        try:
            body = self._fetch(f"{origin}/robots.txt", {}, obey_robots=False).body
        except AddressRefused:
            raise
        except FetchError as exc:
            missing = exc.status is not None and 400 <= exc.status < 500 and exc.status != 429
            return _ALLOW_ALL if missing else str(exc)
        return Protego.parse(body.decode("utf-8", errors="replace"))
