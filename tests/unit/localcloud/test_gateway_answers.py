"""Where API Gateway answers by itself (no handler involved), the emulator answers as an HTTP API does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tally_dev.localcloud.events import MAX_REQUEST_BYTES
from tally_dev.localcloud.runner import Invocation
from tests.unit.localcloud.emulation import Emulated, emulate

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Handler: app.handler
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: ["https://app.example"]
        AllowMethods: [GET, POST]
        AllowHeaders: [authorization]
        ExposeHeaders: [etag]
        MaxAge: 60
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: !GetAtt GateFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity:
              Headers: [Authorization]
  GateFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: gate/
  ItemsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: items/
      Events:
        GetItem:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: "/items/{item_id}", Method: GET}
        Open:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /open, Method: ANY, Auth: {Authorizer: NONE}}
"""


def answer(function: str, event: dict[str, Any]) -> Invocation:
    """The gate denies `Authorization: deny` and crashes on `crash`; items crash or answer garbage on demand."""
    if function == "GateFunction":
        token = event["headers"].get("authorization")
        if token == "crash":
            return Invocation(function, "r", error={"errorType": "KeyError", "errorMessage": "boom"})
        return Invocation(function, "r", payload=json.dumps({"isAuthorized": token != "deny",
                                                             "context": {"who": token}}))
    item = (event.get("pathParameters") or {}).get("item_id")
    if item == "crash":
        return Invocation(function, "r", error={"errorType": "ZeroDivisionError", "errorMessage": "division by zero"})
    if item == "garbage":
        return Invocation(function, "r", payload=json.dumps({"statusCode": "not a number"}))
    return Invocation(function, "r", payload=json.dumps({"statusCode": 200, "body": json.dumps({"item": item}),
                                                         "headers": {"access-control-allow-origin": "https://evil"}}))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Emulated:
    root: Path = tmp_path_factory.mktemp("api")
    (root / "template.yaml").write_text(TEMPLATE)
    for code in ("gate", "items"):
        (root / code).mkdir()
        (root / code / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return emulate(root / "template.yaml", answer, any_routes={("ItemsFunction", "/open")}, expose_headers=["etag"])


@pytest.fixture(autouse=True)
def _fresh_calls(api: Emulated) -> None:
    api.runner.calls.clear()


def test_an_unknown_route_without_a_default_route_is_404_not_found(api):
    response = api.client.get("/nowhere", headers={"Authorization": "ok"})

    assert response.status_code == 404
    assert response.get_json() == {"message": "Not Found"}
    assert response.headers["apigw-requestid"]
    assert api.runner.calls == []


def test_a_wrong_method_without_a_default_route_is_404_not_found(api):
    response = api.client.delete("/items/1", headers={"Authorization": "ok"})

    assert (response.status_code, response.get_json()) == (404, {"message": "Not Found"})


def test_a_missing_identity_source_is_401_unauthorized_before_the_authorizer_runs(api):
    response = api.client.get("/items/1")

    assert (response.status_code, response.get_json()) == (401, {"message": "Unauthorized"})
    assert api.runner.calls == []


def test_an_authorizer_deny_is_403_forbidden_and_the_handler_never_runs(api):
    response = api.client.get("/items/1", headers={"Authorization": "deny"})

    assert (response.status_code, response.get_json()) == (403, {"message": "Forbidden"})
    assert [name for name, _ in api.runner.calls] == ["GateFunction"]


def test_the_authorizer_gets_its_identity_source_and_passes_its_context(api):
    response = api.client.get("/items/42", headers={"Authorization": "ok"})

    assert response.status_code == 200
    gate_event = api.runner.events_of("GateFunction")[0]
    assert gate_event["identitySource"] == ["ok"]
    item_event = api.runner.events_of("ItemsFunction")[0]
    assert item_event["requestContext"]["authorizer"] == {"lambda": {"who": "ok"}}
    assert item_event["pathParameters"] == {"item_id": "42"}
    assert item_event["routeKey"] == "GET /items/{item_id}"


@pytest.mark.parametrize(("path", "token"), [("/items/crash", "ok"), ("/items/garbage", "ok"), ("/items/1", "crash")])
def test_a_failing_function_or_authorizer_is_500_internal_server_error(api, path, token):
    response = api.client.get(path, headers={"Authorization": token})

    assert (response.status_code, response.get_json()) == (500, {"message": "Internal Server Error"})


def test_a_cors_preflight_is_answered_by_the_gateway_with_204(api):
    response = api.client.options("/items/1", headers={"Origin": "https://app.example",
                                                       "Access-Control-Request-Method": "GET"})

    assert response.status_code == 204
    assert response.data == b""
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-allow-methods"] == "GET,OPTIONS,POST"
    assert response.headers["access-control-allow-headers"] == "authorization"
    assert response.headers["access-control-max-age"] == "60"
    assert api.runner.calls == []


def test_a_preflight_from_another_origin_gets_no_cors_headers(api):
    response = api.client.options("/items/1", headers={"Origin": "https://elsewhere.example"})

    assert response.status_code == 204
    assert "access-control-allow-origin" not in response.headers


def test_cors_headers_of_the_api_replace_those_a_function_sets(api):
    response = api.client.get("/items/1", headers={"Authorization": "ok", "Origin": "https://app.example"})

    assert response.headers["access-control-allow-origin"] == "https://app.example"
    assert response.headers["access-control-expose-headers"] == "etag"
    assert "access-control-max-age" not in response.headers


def test_an_any_route_has_an_any_route_key(api):
    api.client.patch("/open")

    assert api.runner.events_of("ItemsFunction")[0]["routeKey"] == "ANY /open"


def test_a_body_over_ten_megabytes_is_413_before_any_function_runs(api):
    response = api.client.post("/open", data=b"x" * (MAX_REQUEST_BYTES + 1), content_type="text/plain")

    assert (response.status_code, response.get_json()) == (413, {"message": "Request Entity Too Large"})
    assert api.runner.calls == []
