"""The body of `POST /api/event`, as Plausible's Events API defines it, with Tally's limits.

The body is JSON, sent as `application/json` or as `text/plain` (the tracker's choice, to avoid a
CORS preflight); any other type is refused 415 before this runs (`tally.web.ingest.api_docs`).
Keys come long or short (`name`/`n`, `url`/`u`, `domain`/`d`, `referrer`/`r`, `props`/`p`,
`revenue`/`$`, `interactive`/`i`); `props` is an object or a JSON string of one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tally.platform.errors import InvalidInput, MalformedRequest

MAX_BODY_BYTES = 64 * 1024
MAX_PROPS = 30
MAX_PROP_KEY = 300
MAX_PROP_VALUE = 2000
MAX_URL = 2000
MAX_NAME = 120
MAX_ID = 128
MAX_DOMAINS = 10
_KEYS = {"n": "name", "u": "url", "d": "domain", "r": "referrer", "p": "props", "$": "revenue",
         "i": "interactive", "h": "hash"}


@dataclass(frozen=True)
class EventPayload:
    name: str
    url: str
    domains: tuple[str, ...]
    referrer: str | None
    props: tuple[tuple[str, str], ...]
    interactive: bool
    hash_mode: bool
    client_id: str | None


def _problem(field: str, rule: str) -> InvalidInput:
    return InvalidInput(f"{field}: {rule}", details=[{"field": field, "rule": rule, "type": "value"}])


def _required(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _problem(field, "is required and must be a non-empty string")
    return value


def parse_event(body: str | bytes | None) -> EventPayload:
    """Parse and validate one event body; 400 when it is not a JSON object, 422 when a value breaks a rule."""
    try:
        raw = json.loads(body or "")
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedRequest("request body is not valid JSON", details=[{"field": "body", "rule": str(error)}]) \
            from error
    if not isinstance(raw, dict):
        raise MalformedRequest("request body must be a JSON object")
    data: dict[str, Any] = {_KEYS.get(str(k), str(k)): v for k, v in raw.items()}
    name, url, domain = _required(data, "name"), _required(data, "url"), _required(data, "domain")
    if len(name) > MAX_NAME:
        raise _problem("name", f"must be at most {MAX_NAME} characters")
    if len(url) > MAX_URL:
        raise _problem("url", f"must be at most {MAX_URL} characters")
    referrer = data.get("referrer")
    if referrer is not None and not isinstance(referrer, str):
        raise _problem("referrer", "must be a string")
    if referrer is not None and len(referrer) > MAX_URL:
        raise _problem("referrer", f"must be at most {MAX_URL} characters")
    domains = tuple(d.strip() for d in domain.split(",") if d.strip())
    if len(domains) > MAX_DOMAINS:
        raise _problem("domain", f"may list at most {MAX_DOMAINS} sites")
    client_id = data.get("id")
    if client_id is not None and (not isinstance(client_id, str | int) or isinstance(client_id, bool)
                                  or not 0 < len(str(client_id)) <= MAX_ID):
        raise _problem("id", f"must be a string of 1 to {MAX_ID} characters")
    interactive = data.get("interactive", True)
    if not isinstance(interactive, bool):
        raise _problem("interactive", "must be true or false")
    return EventPayload(name=name.strip(), url=url.strip(), domains=domains, referrer=referrer or None,
                        props=parse_props(data.get("props")), interactive=interactive,
                        hash_mode=bool(data.get("hash")), client_id=None if client_id is None else str(client_id))


def parse_props(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise _problem("props", "must be an object or a JSON string of one") from error
    if not isinstance(value, dict):
        raise _problem("props", "must be an object or a JSON string of one")
    if len(value) > MAX_PROPS:
        raise _problem("props", f"may hold at most {MAX_PROPS} properties")
    props = []
    for key, item in value.items():
        if not key or len(key) > MAX_PROP_KEY:
            raise _problem("props", f"keys must be 1 to {MAX_PROP_KEY} characters")
        if item is None or isinstance(item, dict | list):
            continue  # Plausible drops null and nested values
        text = str(item).lower() if isinstance(item, bool) else str(item)
        if len(text) > MAX_PROP_VALUE:
            raise _problem("props", f"values must be at most {MAX_PROP_VALUE} characters")
        props.append((key, text))
    return tuple(sorted(props))
