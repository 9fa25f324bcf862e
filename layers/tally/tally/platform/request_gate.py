"""What every request must pass before a route validates or reads it, in the order a client expects.

1. Behind the authorizer, an anonymous caller is answered 401 first: a refusal must not depend on
   (or reveal anything about) the body and parameters of a request that may not be made at all.
2. A body must have a media type the route takes (its documented request body's): else 415. A
   request that names a type must name one the route takes; a request with a body must name one.
3. A body must be UTF-8 text (every type Tally takes is): else 400, not a decoding crash.
4. A route that reads its body itself and requires one gets one: else 422, as validation answers
   a missing JSON body.

The size limit (413) comes before all of this, in `TallyResolver.resolve`.
"""

from __future__ import annotations

from typing import Any, cast

from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from tally.platform.caller import Caller
from tally.platform.errors import InvalidInput, MalformedRequest, UnsupportedMediaType


def raw_request_body(description: str, content: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extensions=` of a route that reads its body itself (no pydantic body parameter).

    `content` maps each media type the route takes to its OpenAPI media type object; the resolver
    answers 415 to any other type, exactly as it does for JSON routes.
    """
    return {"requestBody": {"required": True, "description": description, "content": content}}


def _raw_body_doc(route: Route) -> dict[str, Any]:
    return cast(dict[str, Any], (route.openapi_extensions or {}).get("requestBody", {}))


def accepted_media_types(route: Route) -> frozenset[str]:
    """The media types a route's body may have: its documented request body's (empty: it takes no body)."""
    if route.body_field is not None:
        return frozenset({cast(Body, route.body_field.field_info).media_type})
    return frozenset(media_type.lower() for media_type in _raw_body_doc(route).get("content", {}))


def media_type(content_type: str | None) -> str:
    """`application/json` of `Application/JSON; charset=utf-8`; empty when there is no header."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def require_authenticated(event: BaseProxyEvent) -> None:
    """401 for an anonymous caller of a route behind the authorizer (public routes have no authorizer context)."""
    if (event.raw_event.get("requestContext") or {}).get("authorizer") is not None:
        Caller.from_event(event.raw_event)


def require_accepted_media_type(route: Route, event: BaseProxyEvent) -> None:
    accepted = accepted_media_types(route)
    if not accepted:
        return
    sent = media_type(event.headers.get("content-type"))
    if sent in accepted or (not sent and not event.body):
        return
    said = f"Content-Type {sent}" if sent else "no Content-Type"
    raise UnsupportedMediaType(f"{said} is not taken here; send {' or '.join(sorted(accepted))}", accepted)


def require_readable_body(route: Route, event: BaseProxyEvent) -> None:
    if not accepted_media_types(route) or not event.body:
        if _raw_body_doc(route).get("required"):
            raise InvalidInput("a request body is required",
                               details=[{"field": "body", "rule": "is required", "type": "missing"}])
        return
    try:
        event.decoded_body  # noqa: B018 - decoding is the check; Powertools caches nothing, nor do we need it
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedRequest("request body is not UTF-8 text",
                               details=[{"field": "body", "rule": "must be UTF-8", "type": "encoding"}]) from error


def pass_request_gate(route: Route, event: BaseProxyEvent) -> None:
    """Every check above, in order; raises the first refusal."""
    require_authenticated(event)
    require_accepted_media_type(route, event)
    require_readable_body(route, event)
