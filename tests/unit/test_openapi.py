"""The committed OpenAPI document is generated from the code; drifting apart fails here."""

from tally_dev.openapi import OPENAPI_PATH, generate, render
from tally_dev.template import http_routes


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
