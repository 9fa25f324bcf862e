"""Access-log lines, `awslogs` deliveries and `/me` calls for the usage tests."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from typing import Any

from tests.apigw import FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module

DAY_MS = 86_400_000
T0 = 1_764_633_600_000  # 2025-12-02T00:00:00Z


def line(*, user: str = "demo-alice", org: str = "demo", at_ms: int = T0, route: str = "GET /api/v1/sites",
         status: int = 200, session: str | None = "sid-a", key: str | None = None, request_id: str | None = None,
         authenticated: bool = True) -> dict[str, str]:
    """One access-log line as API Gateway writes it in the template's format."""
    return {"requestId": request_id or uuid.uuid4().hex[:16], "time": str(at_ms), "routeKey": route,
            "status": str(status), "latency": "12", "integrationError": "-",
            "authenticated": "true" if authenticated else "false", "user": user, "org": org,
            "session": session or "-", "key": key or "-", "client": "Firefox / GNU/Linux", "country": "DE"}


def awslogs(lines: list[dict[str, str]]) -> dict[str, Any]:
    data = {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "access", "logStream": "s",
            "subscriptionFilters": ["usage"],
            "logEvents": [{"id": f"{n:036d}", "timestamp": int(entry.get("time", 0)), "message": json.dumps(entry)}
                          for n, entry in enumerate(lines)]}
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}


def deliver(lines: list[dict[str, str]]) -> dict[str, Any]:
    result: dict[str, Any] = load_handler_module("UsageRecorderFunction").lambda_handler(awslogs(lines), FakeContext())
    return result


def me(path: str, *, user: str = "demo-alice", org: str = "demo", query: dict[str, str] | None = None,
       method: str = "GET", session: str = "sid-a", key: str = "") -> tuple[int, Any]:
    claims = {**caller_claims(org, user_id=user), "session_id": session, "key_id": key}
    route = "DELETE /api/v1/me/sessions/{session_id}" if method == "DELETE" else f"GET {path}"
    parameters = {"session_id": path.rsplit("/", 1)[1]} if method == "DELETE" else None
    event = http_event(method, path, route=route, query=query, claims=claims, path_parameters=parameters)
    response = load_handler_module("MeStatsFunction").lambda_handler(event, FakeContext())
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None
