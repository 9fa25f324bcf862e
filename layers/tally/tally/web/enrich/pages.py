"""The page of an event: the URL's host and path, as Plausible records them.

The host is lower-cased with `www.` and any port dropped; the path loses its query and fragment
(UTM, `ref` and `source` are read from the query first, by `sources.source_from`), keeps its
trailing slash, is percent-decoded for readability (`/caf%C3%A9` → `/café`) and is capped at
2,000 characters. Characters that would change the meaning of the path if the page were parsed
again (`%`, `?`, `#`, spaces and control characters) stay encoded, so normalising a page twice
gives the same page.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import SplitResult, unquote, urlsplit

from tally.platform.errors import MalformedRequest

MAX_PATH = 2000
MAX_URL = 2000

# Characters kept (or put back) in %XX form in a decoded path: the escape character itself, the
# delimiters of query and fragment, and whatever URL parsers strip or split on (C0 controls, space, DEL).
_UNSAFE = re.compile(r"[\x00-\x20%?#\x7f]")
_UNSAFE_RAW = re.compile(r"[\x00-\x20?#\x7f]")
_PARTIAL_ESCAPE_AT_END = re.compile(r"%[0-9A-Fa-f]?$")
_C0_OR_SPACE = "".join(map(chr, range(0x21)))  # what URL parsers trim from a URL's ends (not NBSP & co.)


class InvalidPageUrl(MalformedRequest):
    """The event's URL has no host (or cannot be parsed at all)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"url: {reason}", details=[{"field": "url", "reason": reason}])


class Page(NamedTuple):
    host: str
    path: str


def normalize_host(host: str) -> str:
    """`WWW.Example.COM.` → `example.com`."""
    host = host.strip().lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def normalize_page(url: str, *, hash_mode: bool = False) -> Page:
    """(host, path) of a page URL; `hash_mode` keeps the fragment as part of the path (hash routers)."""
    parts = _split(url)
    host = normalize_host(parts.hostname or "")
    if not host:
        raise InvalidPageUrl("must be an absolute URL with a host")
    path = _clean(parts.path or "/")
    if not path.startswith("/"):
        path = "/" + path
    if hash_mode and parts.fragment:
        path = f"{path}#{_clean(parts.fragment)}"
    return Page(host, _truncate(path))


def _split(url: str) -> SplitResult:
    if len(url) > MAX_URL * 4:  # far beyond the ingest limit: refuse before parsing
        raise InvalidPageUrl("is too long")
    try:
        parts = urlsplit(url.strip(_C0_OR_SPACE))
        parts.port  # noqa: B018 - validates the port, raising ValueError when it is malformed
    except ValueError as error:
        raise InvalidPageUrl("cannot be parsed") from error
    return parts


def _clean(raw: str) -> str:
    """Percent-decode for display, keeping the unsafe characters encoded (idempotent)."""
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return _UNSAFE_RAW.sub(_escape, raw)  # not UTF-8: keep the bytes' escapes as they came
    return _UNSAFE.sub(_escape, decoded)


def _escape(match: re.Match[str]) -> str:
    return f"%{ord(match.group()):02X}"


def _truncate(path: str) -> str:
    if len(path) <= MAX_PATH:
        return path
    return _PARTIAL_ESCAPE_AT_END.sub("", path[:MAX_PATH])
