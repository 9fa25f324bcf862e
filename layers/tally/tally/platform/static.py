"""Static files served by a function: read and gzipped once per container, ETag, 304, gzip.

A `StaticAsset` is one file's bytes, its gzip and a weak ETag naming its content (both encodings
are the same resource, hence weak). `asset.response(...)` answers a GET: 304 without a body when
`If-None-Match` names the current tag, the gzip when `Accept-Encoding` allows it, the plain bytes
otherwise — always with `Vary: Accept-Encoding` and the caller's headers (cache policy, security).
The tracker script and the pages (dashboard HTML, JS, CSS) are served through it.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from aws_lambda_powertools.event_handler import Response


@dataclass(frozen=True)
class StaticAsset:
    content_type: str
    raw: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, raw: bytes, content_type: str) -> StaticAsset:
        return cls(content_type=content_type, raw=raw, gzipped=gzip.compress(raw, compresslevel=9, mtime=0),
                   etag=f'W/"{content_digest(raw)}"')

    @classmethod
    def from_package(cls, package: str, *path: str, content_type: str) -> StaticAsset:
        return cls.of(files(package).joinpath(*path).read_bytes(), content_type)

    @property
    def text(self) -> str:
        return self.raw.decode()

    @property
    def digest(self) -> str:
        """The tag without its quotes and weak marker: usable in a URL to name this version."""
        return self.etag.removeprefix("W/").strip('"')

    def response(self, accept_encoding: str | None, if_none_match: str | None,
                 headers: Mapping[str, str] | None = None) -> Response[Any]:
        common = {**(headers or {}), "ETag": self.etag, "Vary": "Accept-Encoding"}
        if names_etag(if_none_match, self.etag):
            return Response(status_code=304, headers=common, body=None)
        if accepts_gzip(accept_encoding):
            return Response(status_code=200, content_type=self.content_type, body=self.gzipped,
                            headers={**common, "Content-Encoding": "gzip"})
        return Response(status_code=200, content_type=self.content_type, body=self.text, headers=common)


def content_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:24]


def accepts_gzip(accept_encoding: str | None) -> bool:
    """RFC 9110 §12.5.3: `gzip` (or `*` when gzip is not named) listed with a non-zero q-value."""
    weights: dict[str, float] = {}
    for item in (accept_encoding or "").lower().split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if coding:
            weights[coding] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def names_etag(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: `*` or any listed entity tag equal to `etag` under weak comparison."""
    wanted = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == wanted
               for tag in (part.strip() for part in (if_none_match or "").split(",")) if tag)
