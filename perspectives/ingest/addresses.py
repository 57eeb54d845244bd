"""Which network addresses the fetcher may contact: public ones, and others only where the user allowed them.

A feed is someone else's document: an item (or a redirect) may point at 127.0.0.1, the LAN, or a cloud metadata
service (169.254.169.254). So every name is resolved here, each resolved address is classified, and the fetcher
connects only to an address that passed, which a second resolution (DNS rebinding) cannot change.

`--allow-private HOST[:PORT]` (or `PERSPECTIVES_ALLOW_PRIVATE=HOST:PORT,...`) lets a non-public address through:
an entry matches when its host is the URL's host as written (a name or an address literal) or the address that
host resolved to, and its port, when given, is the URL's port (80 / 443 when the URL has none). Names in entries
are not resolved: `localhost:8001` allows http://localhost:8001/, not http://127.0.0.1:8001/.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from perspectives.ingest.files import InputError

ALLOW_PRIVATE_ENV = "PERSPECTIVES_ALLOW_PRIVATE"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The first matching property names the problem; the order puts the most specific first (240/4 is reserved and
# also "private" to Python, ::1 is loopback and also reserved).
_KINDS = (
    ("is_unspecified", "an unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private address"),
    ("is_site_local", "a site-local address"),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _ip(address: str) -> IPAddress:
    return ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is not part of it


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4."""
    if ip.version == 4:
        return None
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.ipv4_mapped or ip.sixtofour


def address_problem(address: str) -> str | None:
    """Why `address` must not be contacted ("a loopback address", ...), or None when it is public."""
    ip = _ip(address)
    ip = embedded_ipv4(ip) or ip
    for attribute, kind in _KINDS:
        if getattr(ip, attribute, False):
            return kind
    return None if ip.is_global else "a non-public address"  # e.g. 100.64.0.0/10 (carrier-grade NAT)


def _normalised_host(host: str) -> str:
    host = host.strip("[]").lower().rstrip(".")
    try:
        return str(_ip(host))
    except ValueError:
        return host


def parse_allowance(entry: str) -> tuple[str, int | None]:
    """`HOST`, `HOST:PORT`, `[IPV6]:PORT` or a bare IPv6 address -> (normalised host, port or None for any)."""
    text = entry.strip()
    if text.count(":") > 1 and not text.startswith("["):
        text = f"[{text}]"  # a bare IPv6 address has no port
    problem = f"--allow-private {entry!r}: expected HOST or HOST:PORT"
    try:
        parts = urlsplit(f"//{text}")
        port = parts.port
    except ValueError:
        raise InputError(problem) from None
    if not parts.hostname or parts.path or parts.query or parts.fragment or "@" in parts.netloc or port == 0:
        raise InputError(problem)
    return _normalised_host(parts.hostname), port


def environment_allowances() -> list[str]:
    """The entries of PERSPECTIVES_ALLOW_PRIVATE (comma-separated HOST[:PORT])."""
    return [entry for entry in os.environ.get(ALLOW_PRIVATE_ENV, "").split(",") if entry.strip()]


class Refused(Exception):
    """An address the guard does not allow; the message is the reason shown in run summaries."""


@dataclass(frozen=True)
class AddressGuard:
    """Resolves hosts and keeps only the addresses that may be contacted."""

    allowed: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AddressGuard:
        return cls(frozenset(parse_allowance(entry) for entry in entries))

    def permits(self, host: str, address: str, port: int) -> bool:
        if address_problem(address) is None:
            return True
        hosts = {_normalised_host(host), _normalised_host(address)}
        return any(name in hosts and allowed_port in (None, port) for name, allowed_port in self.allowed)

    def resolve(self, host: str, port: int) -> list[tuple[int, tuple]]:
        """(family, socket address) of every address `host` resolves to that may be contacted; raises Refused
        when there is none (socket.gaierror when the name does not resolve)."""
        found, refused = [], []
        for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            if family not in (socket.AF_INET, socket.AF_INET6):
                continue
            (found if self.permits(host, sockaddr[0], port) else refused).append((family, sockaddr))
        if not found and refused:
            raise Refused(self._reason(host, refused[0][1][0]))
        return found

    @staticmethod
    def _reason(host: str, address: str) -> str:
        kind = address_problem(address)
        if _normalised_host(host) == _normalised_host(address):
            return f"refused: {address} is {kind}"
        return f"refused: {host} resolves to {address}, {kind}"
