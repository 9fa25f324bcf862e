"""Untrusted repository URLs: what a codebase may be mined from, and the addresses a clone may reach.

A URL is accepted only as `https://host[:443]/path` without credentials, query or fragment, whose
host resolves only to public addresses: every address the resolver gives is checked, and an IPv6
address that carries an IPv4 one (mapped, compatible, 6to4, NAT64, Teredo) is checked by the IPv4
address it reaches. The clone then connects to one of the checked addresses (`tally.code.fetch`
pins it), so a DNS answer that changes between check and connect cannot move it elsewhere.

The local cloud (stage `local`) also accepts the absolute path of a local repository, so the demo
mines without a network. Every refusal names its rule (422).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tally.platform.errors import InvalidInput

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

HTTPS_PORT = 443
MAX_URL_LENGTH = 2048

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")


class UrlRefused(InvalidInput):
    """A repository URL (or an address it resolves to) that mining refuses; 422 naming the rule."""

    def __init__(self, rule: str, field: str = "url") -> None:
        super().__init__(f"repository URL refused: {rule}",
                         details=[{"field": field, "rule": rule, "type": "url_refused"}])
        self.rule = rule


@dataclass(frozen=True)
class RepositoryLocation:
    """Where a codebase is mined from: an https URL (host, port) or, in the local cloud, a local path."""

    url: str
    host: str = ""
    port: int = HTTPS_PORT
    local_path: str = ""

    @property
    def is_local(self) -> bool:
        return bool(self.local_path)


def address_refusal(address: IpAddress) -> str | None:
    """Why a clone may not connect to `address`, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = address_refusal(embedded)
            return f"{reason} (inside {address})" if reason else None
        if address in ipaddress.ip_network("fc00::/7"):
            return f"{address} is a unique local address (IPv6 ULA)"
    checks: list[tuple[bool, str]] = [
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "a shared (CGNAT, 100.64.0.0/10) address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a globally routable address"),
    ]
    for refused, what in checks:
        if refused:
            return f"{address} is {what}" if what != "unspecified" else f"{address} is the unspecified address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, compatible, 6to4, NAT64, Teredo), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _NAT64) or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse_location(text: str, *, allow_local: bool) -> RepositoryLocation:
    """The location `text` names, refused (422) unless it is an https URL of the allowed form, or
    (with `allow_local`) the absolute path of an existing local repository."""
    if len(text) > MAX_URL_LENGTH:
        raise UrlRefused(f"at most {MAX_URL_LENGTH} characters")
    if allow_local and text.startswith("/"):
        return _local(text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise UrlRefused(f"not a URL ({error})") from None
    if parts.scheme.lower() != "https":
        allowed = "https:// URLs (or a local repository path in the local cloud)" if allow_local else "https:// URLs"
        raise UrlRefused(f"only {allowed}; got {parts.scheme + '://' if parts.scheme else 'no scheme'}")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UrlRefused("no credentials in the URL")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise UrlRefused("no query or fragment")
    if port not in (None, HTTPS_PORT):
        raise UrlRefused("https on port 443 only")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlRefused("a host is required")
    if not parts.path.strip("/"):
        raise UrlRefused("a repository path is required")
    try:
        literal: IpAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        reason = address_refusal(literal)
        if reason:
            raise UrlRefused(f"public addresses only: {reason}")
    else:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            raise UrlRefused("the host is not a valid name") from None
        if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES) or "." not in host:
            raise UrlRefused(f"public addresses only: {host} is a local name")
    return RepositoryLocation(url=text, host=host, port=HTTPS_PORT)


def _local(text: str) -> RepositoryLocation:
    path = Path(text)
    if not path.is_absolute() or ".." in path.parts:
        raise UrlRefused("a local repository path must be absolute")
    if not (path / "HEAD").is_file() and not (path / ".git").exists():
        raise UrlRefused("a local path must be a git repository")
    return RepositoryLocation(url=text, local_path=str(path))


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6, TCP)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def public_addresses(location: RepositoryLocation, resolver: Resolver = system_resolver) -> list[IpAddress]:
    """The addresses of `location`'s host, each checked; refused (422) if any is not public or none exists."""
    try:
        literal: IpAddress | None = ipaddress.ip_address(location.host)
    except ValueError:
        literal = None
    if literal is not None:
        answers = [literal]
    else:
        try:
            answers = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(location.host, location.port)]
        except (OSError, UnicodeError, ValueError):
            answers = []
    if not answers:
        raise UrlRefused(f"{location.host} does not resolve")
    for address in answers:
        reason = address_refusal(address)
        if reason:
            raise UrlRefused(f"public addresses only: {location.host} resolves to {reason}")
    return list(dict.fromkeys(answers))
