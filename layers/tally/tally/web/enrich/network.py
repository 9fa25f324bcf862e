"""The client's IP address of an API Gateway HTTP API (payload 2.0) event.

By default it is `requestContext.http.sourceIp`, which API Gateway sets from the TCP connection
and a client cannot forge. Only when Tally is configured to sit behind a proxy it trusts (a
CloudFront distribution, a customer's server-side relay) is the first address of
`X-Forwarded-For` used instead, as Plausible's Events API does for server-side calls: API Gateway
appends the connecting address to that header, so without such a proxy its first entry is
whatever the client wrote. An entry that is not an IP address is ignored.

The address is only ever used in memory: hashed into a visitor id and looked up for a country.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any


def client_ip(event: Mapping[str, Any], *, trust_forwarded_for: bool = False) -> str | None:
    """The caller's address as text, or None when the event carries none."""
    if trust_forwarded_for:
        forwarded = _first_forwarded(event.get("headers") or {})
        if forwarded is not None:
            return forwarded
    context = event.get("requestContext") or {}
    http = context.get("http") or {} if isinstance(context, Mapping) else {}
    source = http.get("sourceIp") if isinstance(http, Mapping) else None
    return _valid_ip(source) if isinstance(source, str) else None


def _first_forwarded(headers: Mapping[str, Any]) -> str | None:
    value = headers.get("x-forwarded-for")
    if not isinstance(value, str) or not value.strip():
        return None
    return _valid_ip(value.split(",", 1)[0])


def _valid_ip(text: str) -> str | None:
    candidate = text.strip()
    if candidate.startswith("[") and "]" in candidate:  # "[2001:db8::1]:443"
        candidate = candidate[1:candidate.index("]")]
    elif candidate.count(":") == 1:  # "203.0.113.7:51234"
        candidate = candidate.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
