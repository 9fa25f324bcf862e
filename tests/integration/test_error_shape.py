"""Every error Tally answers has one shape. This walks them all through real resolvers."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Annotated

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, Field

from tally.platform import errors
from tally.platform.http import TallyResolver
from tally_dev.openapi import generate
from tally_dev.template import http_routes
from tests.apigw import ANONYMOUS, FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module


class Widget(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    size: int = Field(ge=1)


def probe_app(recorded: list) -> TallyResolver:
    """A resolver wired exactly like every Tally function, with routes that raise each error."""
    app = TallyResolver(max_body_bytes=1024, on_unexpected=lambda error, event: recorded.append(error))

    @app.post("/widgets")
    def create(widget: Annotated[Widget, Body()]) -> dict:
        return {"name": widget.name}

    @app.get("/raise/<name>")
    def raise_named(name: str) -> dict:
        raise {
            "conflict": errors.Conflict("already exists"),
            "forbidden": errors.Forbidden("admins only"),
            "not_found": errors.NotFound("no such widget"),
            "rate": errors.RateLimited(30),
            "degraded": errors.ServiceUnavailable("store is down", retry_after_s=15),
            "crash": RuntimeError("secret internals"),
        }[name]

    return app


def assert_shape(response: dict, status: int, code: str) -> dict:
    assert response["statusCode"] == status, response
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    return body


@pytest.fixture
def probe():
    recorded: list = []
    app = probe_app(recorded)

    def call(method, path, body=None, headers=None):
        return app.resolve(http_event(method, path, body=body, headers=headers, claims=caller_claims("demo")),
                           FakeContext())

    call.recorded = recorded
    return call


def test_invalid_values_are_422_with_each_field_and_rule(probe):
    body = assert_shape(probe("POST", "/widgets", body={"name": "", "size": 0}), 422, "invalid_input")
    assert {d["field"] for d in body["error"]["details"]} == {"name", "size"}


def test_malformed_json_is_400_naming_the_request_body_not_a_character_offset(probe):
    body = assert_shape(probe("POST", "/widgets", body="{not json"), 400, "malformed_request")
    assert [d["field"] for d in body["error"]["details"]] == ["body"]


def test_an_oversize_body_is_413_before_anything_parses_it(probe):
    body = assert_shape(probe("POST", "/widgets", body=json.dumps({"name": "x" * 5000, "size": 1})),
                        413, "payload_too_large")
    assert "1024" in body["error"]["message"]


@pytest.mark.parametrize(("name", "status", "code", "header"), [
    ("conflict", 409, "conflict", None),
    ("forbidden", 403, "forbidden", None),
    ("not_found", 404, "not_found", None),
    ("rate", 429, "rate_limited", ("Retry-After", "30")),
    ("degraded", 503, "service_unavailable", ("Retry-After", "15")),
])
def test_domain_errors_map_to_their_status(probe, name, status, code, header):
    response = probe("GET", f"/raise/{name}")
    assert_shape(response, status, code)
    if header:
        assert response["headers"][header[0]] == header[1]


def test_an_unexpected_error_is_500_without_internals_and_is_recorded(probe):
    body = assert_shape(probe("GET", "/raise/crash"), 500, "internal_error")
    assert "secret" not in json.dumps(body)
    assert [type(e) for e in probe.recorded] == [RuntimeError]


def test_an_unknown_route_inside_a_function_is_404(probe):
    assert_shape(probe("GET", "/nothing-here"), 404, "not_found")


@pytest.fixture
def fallback(aws):
    app = load_handler_module("FallbackFunction")
    return lambda method, path: app.lambda_handler(
        http_event(method, path, route="$default"), FakeContext())


def test_the_default_route_answers_404_for_unknown_paths(fallback):
    body = assert_shape(fallback("GET", "/api/v1/nope"), 404, "not_found")
    assert "/api/v1/nope" in body["error"]["message"]


def test_the_default_route_answers_405_with_allow_for_a_known_path(fallback):
    response = fallback("DELETE", "/api/v1/ops/failures")
    assert_shape(response, 405, "method_not_allowed")
    assert "GET" in response["headers"]["Allow"]


@dataclass(frozen=True)
class BodyRoute:
    function: str
    method: str
    path: str
    accepted: frozenset[str]
    public: bool

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def send(self, content_type: str | None, body: str | None, *, base64_encoded: bool = False,
             claims: dict | None = None) -> dict:
        """The route's handler answers this request, from a caller with the org_admin role unless `claims`."""
        concrete = self.path.replace("{site_id}", "s-1")
        event = http_event(self.method, concrete, route=f"{self.method} {self.path}", body=body,
                           claims=None if self.public else claims or caller_claims("demo", "org_admin"),
                           path_parameters={"site_id": "s-1"} if "{site_id}" in self.path else None)
        del event["headers"]["content-type"]
        if content_type is not None:
            event["headers"]["content-type"] = content_type
        event["isBase64Encoded"] = base64_encoded
        return load_handler_module(self.function).lambda_handler(event, FakeContext())


def body_routes() -> list[BodyRoute]:
    """Every template route the OpenAPI document gives a body, with the media types it documents."""
    paths = generate()["paths"]
    return [BodyRoute(route.function, route.method, route.path,
                      frozenset(paths[route.path][route.method.lower()]["requestBody"]["content"]),
                      public=route.auth == "NONE")
            for route in http_routes()
            if "requestBody" in paths.get(route.path, {}).get(route.method.lower(), {})]


BODY_ROUTES = body_routes()
ODD_TYPES = ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data"]
each_body_route = pytest.mark.parametrize("route", BODY_ROUTES, ids=str)


def test_the_routes_that_take_a_body_are_found_in_the_document():
    assert {str(route) for route in BODY_ROUTES} >= {
        "POST /api/v1/sites", "PATCH /api/v1/sites/{site_id}", "POST /api/event",
        "POST /api/v1/sites/{site_id}/events/import"}


@each_body_route
def test_a_body_of_a_type_the_route_does_not_take_is_415(route):
    refused = [t for t in ODD_TYPES if t not in route.accepted]
    if "application/json" not in route.accepted:
        refused.append("application/json; charset=utf-8")
    for content_type in refused:
        body = assert_shape(route.send(content_type, '{"domain": "x"}'), 415, "unsupported_media_type")
        assert body["error"]["details"][0]["field"] == "Content-Type"
        for media_type in route.accepted:
            assert media_type in body["error"]["message"]


@each_body_route
def test_a_body_without_a_content_type_is_415(route):
    assert_shape(route.send(None, '{"domain": "x"}'), 415, "unsupported_media_type")


@each_body_route
def test_every_documented_type_is_taken_with_parameters_and_in_any_case(aws, route):
    for media_type in route.accepted:
        for sent in (media_type, f"{media_type.upper()}; charset=utf-8"):
            response = route.send(sent, "{}")
            assert response["statusCode"] != 415, (sent, response)
            assert response["statusCode"] < 500, (sent, response)


@each_body_route
def test_a_body_that_is_not_utf8_is_400_not_a_crash(route):
    garbage = base64.b64encode(b"\xff\xfe{\x80}").decode()
    for media_type in route.accepted:
        assert_shape(route.send(media_type, garbage, base64_encoded=True), 400, "malformed_request")


@each_body_route
def test_a_missing_body_is_refused(route):
    for media_type in route.accepted:
        response = route.send(media_type, None)
        assert response["statusCode"] in (400, 422), response


@pytest.mark.parametrize("route", [r for r in BODY_ROUTES if not r.public], ids=str)
def test_an_anonymous_caller_is_refused_401_before_the_body_is_looked_at(route):
    for content_type, body in (("text/plain", "x"), (None, "{"), (sorted(route.accepted)[0], '{"domain": 1}')):
        response = route.send(content_type, body, claims=ANONYMOUS)
        assert_shape(response, 401, "unauthenticated")


def test_the_tracker_s_text_plain_and_json_both_reach_the_event_route():
    accepted = {route.path: route.accepted for route in BODY_ROUTES if route.method == "POST"}
    assert accepted["/api/event"] == {"application/json", "text/plain"}
    assert accepted["/api/v1/sites/{site_id}/events/import"] == {"application/x-ndjson"}
