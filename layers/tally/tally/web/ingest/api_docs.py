"""OpenAPI documentation of the ingest routes' request bodies, which their handlers read themselves.

`POST /api/event` takes Plausible's event object as `application/json` or as `text/plain` (what
Plausible's tracker sends, to avoid a CORS preflight); the import takes NDJSON. The media types
listed here are also the ones the resolver accepts: any other is answered 415.

The schemas are plain dicts, not pydantic models: the ingest handler's cold start must stay cheap.
"""

from __future__ import annotations

from typing import Any

from tally.platform.request_gate import raw_request_body
from tally.web.ingest.payload import MAX_DOMAINS, MAX_ID, MAX_NAME, MAX_URL

_TEXT = {"type": "string", "minLength": 1}

PLAUSIBLE_EVENT: dict[str, Any] = {
    "title": "PlausibleEvent",
    "description": "Plausible's Events API body. Each key may also come short: n, u, d, r, p, i, h.",
    "type": "object",
    "required": ["name", "url", "domain"],
    "properties": {
        "name": {**_TEXT, "maxLength": MAX_NAME, "examples": ["pageview"]},
        "url": {**_TEXT, "maxLength": MAX_URL, "examples": ["https://example.com/pricing"]},
        "domain": {**_TEXT, "examples": ["example.com"],
                   "description": f"The site's domain; up to {MAX_DOMAINS}, comma-separated."},
        "referrer": {"anyOf": [{"type": "string", "maxLength": MAX_URL}, {"type": "null"}]},
        "props": {"anyOf": [{"type": "object"}, {"type": "string"}, {"type": "null"}],
                  "description": "An object, or a JSON string of one."},
        "interactive": {"type": "boolean", "default": True},
        "id": {"anyOf": [{**_TEXT, "maxLength": MAX_ID}, {"type": "integer"}, {"type": "null"}],
               "description": "Makes a re-sent event count once."},
    },
}


def event_body() -> dict[str, Any]:
    return raw_request_body(
        "One event. The tracker sends it as `text/plain`; both types carry the same JSON object.",
        {"application/json": {"schema": PLAUSIBLE_EVENT},
         "text/plain": {"schema": {"type": "string", "description": "The same JSON object, as text."}}},
    )


def import_body() -> dict[str, Any]:
    return raw_request_body(
        "Newline-delimited JSON: one event per line, `{id, timestamp, name, url, referrer, props, visitor}` "
        "(or `ip` + `user_agent` instead of `visitor`); optionally `user_agent` (browser, OS, device) and "
        "`country` (ISO 3166-1 alpha-2, as the source analytics tool recorded it).",
        {"application/x-ndjson": {"schema": {"type": "string"}}},
    )
