"""The committed OpenAPI document is generated from the code; drifting apart fails here."""

import json

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.platform import errors
from tally.platform.api_docs import ERROR_SCHEMA, GATEWAY_ERROR_SCHEMA
from tally_dev.openapi import OPENAPI_PATH, generate, render
from tally_dev.template import http_routes, load_template, resources_of_type


def test_the_committed_openapi_document_matches_the_code():
    assert OPENAPI_PATH.read_text() == render(generate()), "run `make openapi` and commit the result"


def test_every_template_route_is_documented():
    paths = generate()["paths"]
    for route in http_routes():
        if route.path != "$default":
            assert route.method.lower() in paths.get(route.path, {}), route


def test_authenticated_routes_declare_bearer_security_and_public_ones_do_not():
    paths = generate()["paths"]
    for route in http_routes():
        if route.path == "$default":
            continue
        operation = paths[route.path][route.method.lower()]
        assert ("security" in operation) == (route.auth != "NONE"), route


# -- the errors the document promises are the errors Tally answers --------------------------------

DOCUMENT = json.loads(OPENAPI_PATH.read_text())
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
ERROR_OR_GATEWAY = {"anyOf": [ERROR_REF, {"$ref": "#/components/schemas/GatewayError"}]}
OPERATIONS = [(method, path, operation) for path, operations in DOCUMENT["paths"].items()
              for method, operation in operations.items()]
IDS = [f"{method.upper()} {path}" for method, path, _ in OPERATIONS]


def error_schemas(operation: dict) -> dict[str, dict]:
    return {status: response["content"]["application/json"]["schema"]
            for status, response in operation["responses"].items() if int(status) >= 400}


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_error_an_operation_documents_is_tally_s_error_schema(method, path, operation):
    for status, schema in error_schemas(operation).items():
        assert schema == (ERROR_OR_GATEWAY if status == "413" else ERROR_REF), (method, path, status)


def test_api_gateway_never_answers_401_or_403_itself_so_every_one_is_tally_s():
    # Without an identity source API Gateway has nothing to refuse before the authorizer runs, and the
    # authorizer passes anonymous callers on (tests/unit/auth), so the handler answers in Tally's shape.
    for api in resources_of_type(load_template(), "AWS::Serverless::HttpApi").values():
        for name, authorizer in api["Properties"]["Auth"]["Authorizers"].items():
            assert "Identity" not in authorizer, name
            assert authorizer["EnableSimpleResponses"] is True, name


def test_powertools_validation_error_shape_is_nowhere_in_the_document():
    text = OPENAPI_PATH.read_text()
    assert "HTTPValidationError" not in text and "ValidationError" not in text
    assert DOCUMENT["components"]["schemas"]["ErrorResponse"] == ERROR_SCHEMA


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_every_operation_documents_what_its_shape_lets_it_answer(method, path, operation):
    statuses = set(operation["responses"])
    assert "413" in statuses  # the function's body limit, or API Gateway's
    if "security" in operation:
        assert {"401", "403"} <= statuses
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
    else:
        assert not {"401", "403"} & statuses
    if "requestBody" in operation:
        assert {"415", "422"} <= statuses
    if operation.get("parameters") or "requestBody" in operation:
        assert "422" in statuses
    else:
        assert "422" not in statuses
    for status in {"429", "503"} & statuses:
        assert "Retry-After" in operation["responses"][status]["headers"], status


def test_the_event_and_import_routes_document_their_bodies():
    event = DOCUMENT["paths"]["/api/event"]["post"]["requestBody"]
    assert set(event["content"]) == {"application/json", "text/plain"}
    assert set(event["content"]["application/json"]["schema"]["required"]) == {"name", "url", "domain"}
    imported = DOCUMENT["paths"]["/api/v1/sites/{site_id}/events/import"]["post"]["requestBody"]
    assert set(imported["content"]) == {"application/x-ndjson"}


def test_the_event_route_documents_its_text_answer():
    accepted = DOCUMENT["paths"]["/api/event"]["post"]["responses"]["202"]
    assert set(accepted["content"]) == {"text/plain"}
    assert "x-tally-dropped" in accepted["headers"]


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=3), max_leaves=8)


@given(code=st.text(min_size=1), message=st.text(),
       details=st.lists(st.dictionaries(st.text(max_size=10), json_values, max_size=4), max_size=4))
def test_the_error_schema_accepts_every_body_error_body_builds(code, message, details):
    jsonschema.validate(json.loads(json.dumps(errors.error_body(code, message, details))), ERROR_SCHEMA)


def test_the_error_schema_refuses_other_shapes():
    for other in ({"detail": [{"loc": ["body"], "msg": "x", "type": "y"}]}, {"message": "Unauthorized"},
                  {"error": {"code": "x", "message": "y"}}, {"error": {"code": "x", "message": "y", "details": []},
                                                              "extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(other, ERROR_SCHEMA)
    jsonschema.validate({"message": "Request Entity Too Large"}, GATEWAY_ERROR_SCHEMA)
