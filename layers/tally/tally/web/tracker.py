"""The tracker script websites embed, as `GET /js/script.js` serves it: one text, two encodings.

The source is `web/tracker/script.js`; the package ships an identical copy (`static/script.js`,
kept equal by a test) so no Lambda needs a build step. It is read and gzipped once per container.
Every response carries the same weak ETag (both encodings are the same script), a day of
`max-age` plus a week of `stale-while-revalidate`, and `Vary: Accept-Encoding`; a matching
`If-None-Match` answers 304 without a body.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

CONTENT_TYPE = "application/javascript; charset=utf-8"
#: The URL has no version in it, so browsers revalidate daily (a 304 when nothing changed).
CACHE_CONTROL = "public, max-age=86400, stale-while-revalidate=604800"

#: The answers of GET /js/script.js, for the OpenAPI document.
RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The tracker, gzipped when `Accept-Encoding` allows it.",
        "content": {"application/javascript": {"schema": {"type": "string"}}},
        "headers": {
            "Cache-Control": {"description": f"`{CACHE_CONTROL}`", "schema": {"type": "string"}},
            "ETag": {"description": "A weak tag naming the script's content.", "schema": {"type": "string"}},
            "Vary": {"description": "`Accept-Encoding`", "schema": {"type": "string"}},
        },
    },
    304: {"description": "Not modified: `If-None-Match` names the current ETag.", "content": {}},
}


@dataclass(frozen=True)
class TrackerScript:
    text: str
    gzipped: bytes
    etag: str


@cache
def tracker_script() -> TrackerScript:
    raw = files("tally.web").joinpath("static", "script.js").read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:24]
    return TrackerScript(text=raw.decode(), gzipped=gzip.compress(raw, compresslevel=9, mtime=0), etag=f'W/"{digest}"')


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


def script_response(accept_encoding: str | None, if_none_match: str | None) -> Response[Any]:
    script = tracker_script()
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": script.etag, "Vary": "Accept-Encoding"}
    if names_etag(if_none_match, script.etag):
        return Response(status_code=304, headers=headers, body=None)
    if accepts_gzip(accept_encoding):
        return Response(status_code=200, content_type=CONTENT_TYPE, body=script.gzipped,
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(status_code=200, content_type=CONTENT_TYPE, body=script.text, headers=headers)
