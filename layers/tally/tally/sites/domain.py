"""A site's domain, normalised the way ingest will look it up.

`normalise_domain` accepts what people paste ("https://WWW.Bücher.example:8443/shop?x=1") and
returns the one spelling Tally stores and matches: lower case, IDNA (punycode) ASCII, no scheme,
user, port, path, query or fragment, no trailing dot, leading `www.` labels stripped. The result
must be a DNS host name of at least two labels that is not an IP address. Normalising is
idempotent: a normalised domain normalises to itself.

IDNA uses the standard library's codec (IDNA 2003 nameprep + punycode), so no extra dependency
ships in the layer; ingest normalises with the same function, which is what keeps lookups exact.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

#: Longest input accepted before any parsing (a pasted URL with a long path still fits).
MAX_INPUT_LENGTH = 1000
_MAX_HOST_LENGTH = 253
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f\\]")


class InvalidDomain(ValueError):
    """The text is not a host name Tally can track."""


def normalise_domain(raw: str) -> str:
    """The canonical domain of `raw` (a host name or a URL); raises InvalidDomain when there is none."""
    text = raw.strip()
    if not text:
        raise InvalidDomain("a domain is required")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidDomain(f"a domain is at most {MAX_INPUT_LENGTH} characters")
    if _FORBIDDEN.search(text):
        raise InvalidDomain("a domain cannot contain spaces, control characters or backslashes")
    host = _host_of(text)
    ascii_host = _to_ascii(host)
    labels = ascii_host.split(".")
    while len(labels) > 2 and labels[0] == "www":
        labels = labels[1:]
    _check_host(labels)
    return ".".join(labels)


def _host_of(text: str) -> str:
    """The host part of a URL or of `host[:port][/path]`."""
    try:
        parts = urlsplit(text if _SCHEME.match(text) else f"//{text}")
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise InvalidDomain(f"not a host name or URL: {error}") from None
    if "@" in parts.netloc:
        raise InvalidDomain("a domain cannot contain a user name (`@`)")
    host = parts.hostname or ""
    if not host:
        raise InvalidDomain("no host name found")
    if ":" in host:
        raise InvalidDomain("an IP address is not a domain")
    return host.lower().removesuffix(".")


def _to_ascii(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii").lower().removesuffix(".")
    except UnicodeError as error:
        raise InvalidDomain(f"not a valid international domain name: {error}") from None


def _check_host(labels: list[str]) -> None:
    host = ".".join(labels)
    if len(host) > _MAX_HOST_LENGTH:
        raise InvalidDomain(f"a domain is at most {_MAX_HOST_LENGTH} characters once encoded")
    if len(labels) < 2:
        raise InvalidDomain("a domain needs at least two labels, like example.com")
    for label in labels:
        if not _LABEL.match(label):
            raise InvalidDomain(
                f"label {label[:70]!r} is not valid: 1 to 63 letters, digits or inner hyphens")
        if label.startswith("xn--"):
            _check_punycode(label)
    if labels[-1].isdigit():
        raise InvalidDomain("an IP address is not a domain")


def _check_punycode(label: str) -> None:
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        raise InvalidDomain(f"label {label!r} is not valid punycode") from None
    readable = decoded and not decoded.isascii() and all(unicodedata.category(c)[0] not in "CZ" for c in decoded)
    if not readable or decoded.encode("punycode").decode("ascii") != label[4:]:
        raise InvalidDomain(f"label {label!r} does not encode an international name")
