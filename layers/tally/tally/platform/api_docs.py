"""OpenAPI documentation of Tally's errors: the one error schema, and a route's error answers.

Every error response in the document references one component schema, `ErrorResponse` (the shape
`tally.platform.errors.error_body` builds). Routes list the errors they can answer with
`errors(401, 403, 404, ...)`; `tally_dev.openapi` adds the components and checks that no error
response is left in another shape.

Plain dicts, not pydantic models: a handler's cold start must not pay for documentation.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader

from tally.platform.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    TallyError,
    Unauthenticated,
    UnsupportedMediaType,
)

ERROR_SCHEMA_NAME = "ErrorResponse"
GATEWAY_ERROR_SCHEMA_NAME = "GatewayError"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
GATEWAY_ERROR_REF = {"$ref": f"#/components/schemas/{GATEWAY_ERROR_SCHEMA_NAME}"}

#: `{"error": {"code", "message", "details"}}`: every error Tally itself answers.
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "description": "Every error Tally answers: `{\"error\": {\"code\", \"message\", \"details\"}}`.",
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "details"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "description": "Stable, machine-readable; one per kind of error.",
                     "examples": ["not_found"]},
            "message": {"type": "string", "description": "For people: what was wrong and what to do."},
            "details": {"type": "array", "items": {"type": "object"},
                        "description": "For invalid input: one `{field, rule, type}` per problem; else empty."},
        },
    }},
}

#: What API Gateway answers by itself (no function involved), e.g. over its 10 MB request limit.
GATEWAY_ERROR_SCHEMA: dict[str, Any] = {
    "title": GATEWAY_ERROR_SCHEMA_NAME,
    "description": "API Gateway's own answer, before any Tally function runs: `{\"message\": \"...\"}`.",
    "type": "object",
    "required": ["message"],
    "additionalProperties": False,
    "properties": {"message": {"type": "string", "examples": ["Request Entity Too Large"]}},
}

_INTEGER = {"type": "integer", "minimum": 0}
RETRY_AFTER: dict[str, OpenAPIResponseHeader] = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": _INTEGER}}

_STATUS: dict[int, tuple[type[TallyError], str]] = {
    400: (MalformedRequest, "The body is not valid JSON, or not a JSON object."),
    401: (Unauthenticated, "No credentials, or invalid ones: send `Authorization: Bearer <JWT or tly_ key>`."),
    403: (Forbidden, "The caller's role is too low for this."),
    404: (NotFound, "Not found."),
    409: (Conflict, "Conflict."),
    413: (PayloadTooLarge, "The body is over this route's limit. Over 10 MB, API Gateway answers by itself, "
                           "in its own shape (`GatewayError`)."),
    415: (UnsupportedMediaType, "The body's `Content-Type` is not one this route takes (or is missing)."),
    422: (InvalidInput, "Invalid values: `details` names each field and the rule it broke."),
    429: (RateLimited, "Too many requests: try again after `Retry-After` seconds."),
    503: (ServiceUnavailable, "Not answerable right now: try again after `Retry-After` seconds."),
}

_HEADERS: dict[int, dict[str, OpenAPIResponseHeader]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer realm=\"tally\"`", "schema": {"type": "string"}}},
    429: RETRY_AFTER,
    503: RETRY_AFTER,
}

#: Statuses a route that takes a body can answer for its body alone.
BODY_ERRORS = (400, 413, 415, 422)
#: Statuses every route behind the authorizer can answer.
AUTH_ERRORS = (401, 403)


def error_response(status: int, description: str | None = None,
                   headers: dict[str, OpenAPIResponseHeader] | None = None) -> OpenAPIResponse:
    """One documented error answer, in Tally's shape (API Gateway's too, for 413)."""
    error, default = _STATUS[status]
    schema: dict[str, Any] = ERROR_REF if status != 413 else {"anyOf": [ERROR_REF, GATEWAY_ERROR_REF]}
    response: OpenAPIResponse = {
        "description": f"{description or default} Code `{error.code}`.",
        "content": {"application/json": {"schema": schema}},
    }
    documented_headers = {**_HEADERS.get(status, {}), **(headers or {})}
    if documented_headers:
        response["headers"] = documented_headers
    return response


def errors(*statuses: int, **descriptions: str) -> dict[int, OpenAPIResponse]:
    """The `responses` entries of a route's error answers; `e404="No such site."` words one of them."""
    unknown = {key for key in descriptions if int(key.removeprefix("e")) not in statuses}
    if unknown:
        raise ValueError(f"descriptions for statuses not listed: {sorted(unknown)}")
    return {status: error_response(status, descriptions.get(f"e{status}")) for status in statuses}
