"""The tracker script websites embed, as `GET /js/script.js` serves it: one text, two encodings.

The file is `static/script.js` in this package (`web/tracker/script.js` links to it), so no Lambda
needs a build step. It is read and gzipped once per container
(`tally.platform.static`). Every response carries the same weak ETag (both encodings are the same
script), a day of `max-age` plus a week of `stale-while-revalidate`, and `Vary: Accept-Encoding`;
a matching `If-None-Match` answers 304 without a body.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from tally.platform.static import StaticAsset

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


@cache
def tracker_script() -> StaticAsset:
    return StaticAsset.from_package("tally.web", "static", "script.js", content_type=CONTENT_TYPE)


def script_response(accept_encoding: str | None, if_none_match: str | None) -> Response[Any]:
    return tracker_script().response(accept_encoding, if_none_match, {"Cache-Control": CACHE_CONTROL})


def without_body(response: Response[Any]) -> Response[Any]:
    """The answer to `HEAD`: `GET`'s status and headers, no body."""
    headers = {**response.headers}
    if response.content_type:
        headers["Content-Type"] = response.content_type
    return Response(status_code=response.status_code, headers=headers, body=None)
