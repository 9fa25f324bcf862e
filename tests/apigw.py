"""Real API Gateway HTTP API (payload 2.0) events for handler tests, shaped as API Gateway sends them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
    path_parameters: dict[str, str] | None = None,
    source_ip: str = "203.0.113.9",
) -> dict[str, Any]:
    """An HTTP API v2 event; `claims` is the authorizer's simple-response context (None: no authorizer)."""
    now_ms = int(time.time() * 1000)
    raw_body = json.dumps(body) if isinstance(body, dict) else body
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {"host": "api.tally.test", "user-agent": "pytest", "content-type": "application/json",
                    **{k.lower(): v for k, v in (headers or {}).items()}},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "tallyapi",
            "domainName": "api.tally.test",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": "pytest"},
            "requestId": uuid.uuid4().hex[:16] + "=",
            "routeKey": route or f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "timeEpoch": now_ms,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if raw_body is not None:
        event["body"] = raw_body
    if path_parameters:
        event["pathParameters"] = path_parameters
    if claims is not None:
        event["requestContext"]["authorizer"] = {"lambda": claims}
    return event


def caller_claims(org_id: str, roles: str = "viewer", user_id: str | None = None) -> dict[str, Any]:
    return {"authenticated": True, "user_id": user_id or f"{org_id}-user", "org_id": org_id, "roles": roles,
            "session_id": "s-1", "key_id": ""}


ANONYMOUS = {"authenticated": False, "auth_message": "missing credentials"}


class FakeContext:
    function_name = "test-function"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000
