"""HTTP caching of the public stats: Cache-Control, ETag, RateLimit headers, and conditional GET.

`conditional_get` is a route middleware: it runs outside the resolver's response validation, so
the route keeps returning a validated `PublicStats` and a matching `If-None-Match` turns that
answer into a bodiless 304 carrying the same validators and headers.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

from tally.platform.api_docs import error_response
from tally.public_stats.figures import PublicStats
from tally.public_stats.service import PublicStatsAnswer

#: Header fields a 304 drops: it has no body to describe.
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})

_INT = {"type": "integer"}
_RATE_LIMIT_HEADERS: dict[str, OpenAPIResponseHeader] = {
    "RateLimit-Limit": {"description": "Requests allowed per window.", "schema": _INT},
    "RateLimit-Remaining": {"description": "Requests left in the current window.", "schema": _INT},
    "RateLimit-Reset": {"description": "Seconds until the window resets.", "schema": _INT},
}

#: The answers of GET /api/v1/public/stats besides the 200 body, for the OpenAPI document.
RESPONSES: dict[int, OpenAPIResponse] = {
    200: {"description": "The figures.", "headers": {
        "Cache-Control": {"description": "`public, max-age=…, stale-while-revalidate=…`", "schema": {"type": "string"}},
        "ETag": {"description": "Names the cached version and its content.", "schema": {"type": "string"}},
        **_RATE_LIMIT_HEADERS}},
    304: {"description": "Not modified: `If-None-Match` names the current ETag.", "content": {},
          "headers": _RATE_LIMIT_HEADERS},
    429: error_response(429, "Over the per-IP limit: try again after `Retry-After` seconds.", _RATE_LIMIT_HEADERS),
    503: error_response(503, "Nothing cached and nothing computable right now: try again after `Retry-After`."),
}


def cache_control(max_age_s: int, stale_while_revalidate_s: int) -> str:
    return f"public, max-age={max(0, max_age_s)}, stale-while-revalidate={max(0, stale_while_revalidate_s)}"


def stats_response(answer: PublicStatsAnswer, stale_while_revalidate_s: int) -> Response[PublicStats]:
    served = answer.served
    headers = {
        "Cache-Control": cache_control(served.max_age_s, stale_while_revalidate_s),
        "ETag": served.entry.etag,
        **answer.rate.headers(),
    }
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON,
                    body=served.entry.stats, headers=headers)


def etag_matches(if_none_match: str | None, etag: str | None) -> bool:
    """RFC 9110 §13.1.2: `*` or any listed tag equal to `etag` under weak comparison."""
    if not if_none_match or not etag:
        return False
    wanted = _opaque(etag)
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or (tag and _opaque(tag) == wanted):
            return True
    return False


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/").strip()


def conditional_get(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Answer 304 Not Modified when a 200's ETag matches the request's If-None-Match."""
    response = next_middleware(app)
    if response.status_code != 200:
        return response
    etag = next((v for k, v in response.headers.items() if k.lower() == "etag"), None)
    if not etag_matches(app.current_event.headers.get("if-none-match"), str(etag) if etag else None):
        return response
    headers = {k: v for k, v in response.headers.items() if k.lower() not in _BODY_HEADERS}
    return Response(status_code=304, headers=headers, body=None)
