"""One authenticated request as the HTTP API's access log tells it (the recorder's input).

The access log's format is in `template.yaml` (`HttpApi.AccessLogSettings.Format`): API Gateway's own
facts (request id and time, route, status, latency) and the authorizer's context (user, org, session,
API key, and the client and country it derived from the request: never the raw IP or User-Agent).
A line that is not an authenticated request's is None: it is no one's usage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: What API Gateway writes for a variable with no value.
_EMPTY = ("", "-")


@dataclass(frozen=True)
class RequestRecord:
    request_id: str
    at_ms: int
    org_id: str
    user_id: str
    route: str
    status: int
    latency_ms: int
    session_id: str | None = None  # a token's `sid`; API-key requests get theirs from the recorder
    key_id: str | None = None
    client: str | None = None
    country: str | None = None

    @property
    def error(self) -> bool:
        return self.status >= 400

    @property
    def day(self) -> str:
        return datetime.fromtimestamp(self.at_ms / 1000, UTC).date().isoformat()

    @classmethod
    def parse(cls, message: str) -> RequestRecord | None:
        try:
            line = json.loads(message)
        except ValueError:
            return None
        if not isinstance(line, dict) or _text(line.get("authenticated")) != "true":
            return None
        request_id, user_id, org_id = _text(line.get("requestId")), _text(line.get("user")), _text(line.get("org"))
        try:
            at_ms, status = int(str(line.get("time"))), int(str(line.get("status")))
        except ValueError:
            return None
        if not (request_id and user_id and org_id):
            return None
        return cls(request_id=request_id[:100], at_ms=at_ms, org_id=org_id, user_id=user_id,
                   route=(_text(line.get("routeKey")) or "-")[:200], status=status,
                   latency_ms=_int(line.get("latency")), session_id=_text(line.get("session"))[:200] or None,
                   key_id=_text(line.get("key"))[:100] or None, client=_text(line.get("client"))[:100] or None,
                   country=_text(line.get("country"))[:2] or None)


def _text(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text in _EMPTY else text


def _int(value: Any) -> int:
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0
