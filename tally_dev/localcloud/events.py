"""What an HTTP API (payload 2.0) sends and answers, where aws-sam-cli's emulation differs from it.

Pure functions, no samcli: the adapter builds an event with samcli and passes it through
`http_api_event`, which corrects the known gaps (header case, one request id for every request,
`timeEpoch` in seconds, a `time` frozen at import, binary bodies, path parameters of `$default`).
API Gateway's own answers (not a handler's) are `gateway_error` bodies, e.g. `{"message": "Not Found"}`.

One thing only the local cloud does: a request with `x-localcloud-request-time: <epoch ms>` (a past
moment) gets that as API Gateway's request time (`timeEpoch`, `time`, and so the access log's and the
audit row's time), and the header is not passed on. The demo uses it to leave a few days of usage
through the product's own path; no deployed API has it.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ACCOUNT_ID = "123456789012"
API_ID = "1234567890"
STAGE = "$default"
#: An HTTP API refuses request bodies over 10 MB before any function runs.
MAX_REQUEST_BYTES = 10 * 1024 * 1024

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Media types an HTTP API hands to Lambda as text; every other body (also form data and a body
#: without a content type) arrives base64-encoded with `isBase64Encoded: true`.
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")

#: The bodies API Gateway itself answers with.
GATEWAY_MESSAGES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


#: The local cloud's request-time header (see the module's docstring).
REQUEST_TIME_HEADER = "x-localcloud-request-time"


def requested_moment(headers: Iterable[tuple[str, str]], now: datetime | None = None) -> datetime | None:
    """The past moment a request asks to be made at (`REQUEST_TIME_HEADER`), or None: absent, not a
    number, or in the future (a request is never made later than it arrives)."""
    value = next((v for n, v in headers if n.lower() == REQUEST_TIME_HEADER), None)
    if value is None:
        return None
    try:
        moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment <= (now or datetime.now(UTC)) else None


def gateway_error(status: int) -> dict[str, str]:
    return {"message": GATEWAY_MESSAGES[status]}


def new_request_id() -> str:
    """A request id shaped like API Gateway's (16 characters of base64, e.g. `BJQ3dijuoAMEVvw=`)."""
    return base64.b64encode(secrets.token_bytes(10)).decode()


def new_trace_id(moment: datetime) -> str:
    """An X-Ray trace header value, as API Gateway adds to every request it forwards."""
    return f"Root=1-{int(moment.timestamp()):08x}-{secrets.token_hex(12)}"


def api_gateway_time(moment: datetime) -> str:
    """`12/Mar/2020:19:03:58 +0000`, independent of the locale."""
    moment = moment.astimezone(UTC)
    return f"{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment.year}:{moment:%H:%M:%S} +0000"


def epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def route_key(method: str, path: str, *, default_route: bool = False) -> str:
    return "$default" if default_route else f"{method} {path}"


def route_arn(method: str, path: str, stage: str = STAGE) -> str:
    return f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{API_ID}/{stage}/{method}{path}"


def is_text_media_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in _TEXT_TYPES


@dataclass(frozen=True)
class RequestFacts:
    """What the emulator knows about one request, fixed once so every event of it agrees."""

    request_id: str
    moment: datetime
    route_key: str
    method: str
    path: str
    source_ip: str
    protocol: str
    default_route: bool
    trace_id: str

    @classmethod
    def new(cls, *, method: str, path: str, route_key: str, source_ip: str = "127.0.0.1",
            protocol: str = "HTTP/1.1", default_route: bool = False, request_id: str | None = None,
            now: datetime | None = None) -> RequestFacts:
        moment = now or datetime.now(UTC)
        return cls(request_id=request_id or new_request_id(), moment=moment, route_key=route_key, method=method,
                   path=path, source_ip=source_ip, protocol=protocol, default_route=default_route,
                   trace_id=new_trace_id(moment))


def lower_case_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased; repeated headers joined with commas (as API Gateway does)."""
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    return merged


def http_api_event(sam_event: Mapping[str, Any], facts: RequestFacts, *, raw_body: bytes,
                   headers: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The payload 2.0 event API Gateway would send for this request, built from samcli's event."""
    event_headers = lower_case_headers(headers)
    event_headers.pop("cookie", None)  # cookies travel in `cookies`
    event_headers.pop(REQUEST_TIME_HEADER, None)  # the local cloud's alone: no function sees it
    host = event_headers.get("host", "localhost")
    forwarded = event_headers.get("x-forwarded-for")
    event_headers["x-forwarded-for"] = f"{forwarded}, {facts.source_ip}" if forwarded else facts.source_ip
    event_headers["x-forwarded-proto"] = str(sam_event.get("headers", {}).get("X-Forwarded-Proto", "http"))
    event_headers["x-forwarded-port"] = str(sam_event.get("headers", {}).get("X-Forwarded-Port", "80"))
    event_headers["x-amzn-trace-id"] = facts.trace_id
    domain_name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": facts.route_key,
        "rawPath": sam_event.get("rawPath") or facts.path,
        "rawQueryString": sam_event.get("rawQueryString") or "",
    }
    if sam_event.get("cookies"):
        event["cookies"] = list(sam_event["cookies"])
    event["headers"] = event_headers
    if sam_event.get("queryStringParameters"):
        event["queryStringParameters"] = dict(sam_event["queryStringParameters"])
    event["requestContext"] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".", 1)[0],
        "http": {
            "method": facts.method,
            "path": facts.path,
            "protocol": facts.protocol,
            "sourceIp": facts.source_ip,
            "userAgent": event_headers.get("user-agent", ""),
        },
        "requestId": facts.request_id,
        "routeKey": facts.route_key,
        "stage": STAGE,
        "time": api_gateway_time(facts.moment),
        "timeEpoch": epoch_millis(facts.moment),
    }
    path_parameters = sam_event.get("pathParameters")
    if path_parameters and not facts.default_route:
        event["pathParameters"] = {k: str(v) for k, v in path_parameters.items()}
    if sam_event.get("stageVariables"):
        event["stageVariables"] = dict(sam_event["stageVariables"])
    if raw_body:
        text = _as_text(raw_body) if is_text_media_type(event_headers.get("content-type")) else None
        event["body"] = text if text is not None else base64.b64encode(raw_body).decode()
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False
    return event


def authorizer_request_event(route_event: Mapping[str, Any], *, route_arn: str,
                             identity_source: list[str] | None) -> dict[str, Any]:
    """The REQUEST authorizer event (payload 2.0) for a route event: no body, plus the ARN and identity."""
    event = {k: v for k, v in route_event.items() if k not in ("body", "isBase64Encoded")}
    event["requestContext"] = {k: v for k, v in route_event["requestContext"].items() if k != "authorizer"}
    event["type"] = "REQUEST"
    event["routeArn"] = route_arn
    if identity_source:
        event["identitySource"] = list(identity_source)
    return event


def _as_text(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def cors_preflight_headers(cors: Any, origin: str | None) -> dict[str, str]:
    """Headers of API Gateway's automatic answer to a CORS preflight (`cors` is samcli's Cors tuple)."""
    allowed = _allowed_origin(cors, origin)
    if allowed is None:
        return {}
    headers = {"access-control-allow-origin": allowed}
    for name, value in (("access-control-allow-methods", cors.allow_methods),
                        ("access-control-allow-headers", cors.allow_headers),
                        ("access-control-allow-credentials", cors.allow_credentials),
                        ("access-control-max-age", cors.max_age)):
        if value is not None and value != "":
            headers[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return headers


def cors_response_headers(cors: Any, origin: str | None, expose_headers: Iterable[str]) -> dict[str, str]:
    """Headers API Gateway adds to an actual (not preflight) response of a CORS-enabled API."""
    allowed = _allowed_origin(cors, origin)
    if allowed is None:
        return {}
    headers = {"access-control-allow-origin": allowed}
    exposed = ",".join(expose_headers)
    if exposed:
        headers["access-control-expose-headers"] = exposed
    if cors.allow_credentials:
        headers["access-control-allow-credentials"] = "true"
    return headers


def _allowed_origin(cors: Any, origin: str | None) -> str | None:
    if cors is None or not origin:
        return None
    origins = [o.strip() for o in (cors.allow_origin or "").split(",") if o.strip()]
    if "*" in origins:
        return "*"
    return origin if origin in origins else None
