"""HTTP wiring shared by every API function: the one error shape, body limits, body media types.

Each function keeps its own `TallyResolver` (so OpenAPI can be merged across functions). Every
error the project answers passes through here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.platform.errors import MalformedRequest, PayloadTooLarge, TallyError, error_body
from tally.platform.request_gate import media_type, pass_request_gate

logger = Logger(child=True)

#: Default request body limit for JSON APIs; ingest routes set their own.
DEFAULT_MAX_BODY_BYTES = 64 * 1024

#: Called with (exception, event) for every unexpected server error; the failure recorder hooks in.
UnexpectedErrorHook = Callable[[BaseException, dict[str, Any]], None]


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error_body(code, message, details)),
        headers=headers or {},
    )


def response_for(error: TallyError) -> Response[Any]:
    return error_response(error.status, error.code, error.message, error.details, error.headers)


def validation_details(error: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as `{field, rule}`: the field path and the rule it broke, no Python internals."""
    details = []
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ()) if part not in ("query", "body", "path", "header")]
        message = str(item.get("msg", item.get("type", "invalid")))
        message = message.removeprefix("Value error, ")
        details.append({"field": ".".join(loc) or "request", "rule": message, "type": item.get("type")})
    return details


def body_size(event: Mapping[str, Any]) -> int:
    body = event.get("body") or ""
    return len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())


class _GateThenValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, preceded by `tally.platform.request_gate`.

    The gate must run before validation: Powertools parses a body by its declared type, so a
    `text/plain` or form body on a JSON route would otherwise fail (500) or be parsed as something
    else, and an anonymous caller would learn that their parameters were invalid before being refused.
    """

    def handler(self, app: Any, next_middleware: NextMiddleware) -> Response[Any]:
        pass_request_gate(app.context["_route"], app.current_event)
        return super().handler(app, next_middleware)

    def _get_body(self, app: Any) -> Any:
        # Powertools matches `application/json` case-sensitively; media types are not (RFC 9110 8.3.1).
        if media_type(app.current_event.headers.get("content-type")) == content_types.APPLICATION_JSON:
            return self._parse_json_data(app)
        return super()._get_body(app)


class TallyResolver(APIGatewayHttpResolver):
    """The resolver every Tally API function uses: validation on, one error shape, a body limit,
    and the request gate (401, 415, 400, 422 for the body) before validation.

    The body limit is checked before anything (request validation included) parses the body.
    """

    def __init__(self, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 on_unexpected: UnexpectedErrorHook | None = None) -> None:
        super().__init__(enable_validation=True)
        # Powertools puts this middleware first in every route's chain; ours passes the gate, then validates.
        self._request_validation_middleware = _GateThenValidation()  # type: ignore[no-untyped-call]
        self.max_body_bytes = max_body_bytes
        install_error_handling(self, on_unexpected=on_unexpected)

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        size = body_size(event)
        if size > self.max_body_bytes:
            error = PayloadTooLarge(f"request body is {size} bytes; the limit is {self.max_body_bytes} bytes")
            return {"statusCode": error.status, "isBase64Encoded": False, "cookies": [],
                    "headers": {"Content-Type": content_types.APPLICATION_JSON},
                    "body": json.dumps(error_body(error.code, error.message))}
        return super().resolve(event, context)


def install_error_handling(app: APIGatewayHttpResolver, *, on_unexpected: UnexpectedErrorHook | None = None) -> None:
    """Map every error (domain, validation, framework, unexpected) to the one JSON shape."""

    def _domain_error(error: TallyError) -> Response[Any]:
        return response_for(error)

    def _invalid(error: RequestValidationError) -> Response[Any]:
        details = validation_details(error)
        if any(d["type"] == "json_invalid" for d in details):
            # Powertools' location for a JSON error is ("body", <character offset>): name the body instead.
            return response_for(MalformedRequest("request body is not valid JSON", details=[
                {"field": "body", "rule": "the request body is not valid JSON", "type": "json_invalid"}]))
        summary = "; ".join(f"{d['field']}: {d['rule']}" for d in details)
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_input", summary, details)

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[Any]:
        event = app.current_event
        return error_response(
            HTTPStatus.NOT_FOUND, "not_found", f"no route for {event.request_context.http.method} {event.path}"
        )

    def _framework_error(error: ServiceError) -> Response[Any]:
        code = HTTPStatus(error.status_code).phrase.lower().replace(" ", "_")
        return error_response(error.status_code, code, str(error.msg))

    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("unexpected error while answering a request")
        if on_unexpected is not None:
            on_unexpected(error, app.current_event.raw_event)
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error",
                              "Tally could not answer this request; the failure was recorded")

    handlers: list[tuple[type[Exception], Callable[[Any], Response[Any]]]] = [
        (TallyError, _domain_error),
        (RequestValidationError, _invalid),
        (ServiceError, _framework_error),
        (Exception, _unexpected),
    ]
    for exc_class, handler in handlers:
        app.exception_handler(exc_class)(handler)
