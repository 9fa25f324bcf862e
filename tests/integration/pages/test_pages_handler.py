"""GET / and GET /assets/{name} through PagesFunction's handler, with real HTTP API v2 events."""

from __future__ import annotations

import base64
import gzip
import json
import re

import pytest

from tally.pages.files import CONTENT_SECURITY_POLICY, asset, page
from tally_dev.template import ROOT
from tests.apigw import FakeContext, http_event
from tests.integration.handlers import load_handler_module

ASSETS = ("pages.js", "chart.js", "breakdowns.js", "dashboard.js", "pages.css")


@pytest.fixture(scope="module")
def handler():
    return load_handler_module("PagesFunction").lambda_handler


def get(handler, path: str, query: dict[str, str] | None = None, **headers: str) -> dict:
    if path.startswith("/assets/"):
        event = http_event("GET", path, route="GET /assets/{name}", query=query, headers=headers,
                           path_parameters={"name": path.removeprefix("/assets/")})
    else:
        event = http_event("GET", path, query=query, headers=headers)
    return handler(event, FakeContext())


def body_of(response: dict) -> bytes:
    body = response.get("body") or ""
    return base64.b64decode(body) if response["isBase64Encoded"] else body.encode()


def assert_security_headers(headers: dict) -> None:
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_the_dashboard_is_html_always_revalidated_with_an_etag_and_the_security_headers(handler):
    response = get(handler, "/", {"site": "abc", "period": "7d"})

    headers = response["headers"]
    assert response["statusCode"] == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["ETag"] == page("dashboard").etag
    assert headers["Vary"] == "Accept-Encoding"
    assert_security_headers(headers)
    assert body_of(response).decode().startswith("<!doctype html>")


def test_the_csp_allows_only_this_origin_and_no_inline_code():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))

    assert directives == {"default-src": "'none'", "script-src": "'self'", "style-src": "'self'",
                          "connect-src": "'self'", "img-src": "'self' data:", "frame-ancestors": "'none'",
                          "base-uri": "'none'", "form-action": "'self'"}


def test_the_page_names_every_asset_with_its_current_digest_and_has_no_inline_script_or_style(handler):
    html = body_of(get(handler, "/")).decode()

    referenced = dict(re.findall(r'(?:src|href)="/assets/([^"?]+)\?v=([0-9a-f]+)"', html))
    assert referenced == {name: asset(name).digest for name in ASSETS}
    assert re.findall(r"<script\b[^>]*>", html) == [f'<script defer src="/assets/{n}?v={asset(n).digest}">'
                                                    for n in ASSETS if n.endswith(".js")]
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)  # no inline event handlers
    assert '<link rel="icon" href="data:,">' in html  # no /favicon.ico request, so no 404 in the console


@pytest.mark.parametrize(("name", "content_type"), [("dashboard.js", "application/javascript; charset=utf-8"),
                                                     ("pages.js", "application/javascript; charset=utf-8"),
                                                     ("pages.css", "text/css; charset=utf-8")])
def test_an_asset_named_with_its_digest_is_immutable_for_a_year(handler, name, content_type):
    response = get(handler, f"/assets/{name}", {"v": asset(name).digest})

    headers = response["headers"]
    assert response["statusCode"] == 200
    assert headers["Content-Type"] == content_type
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["ETag"] == asset(name).etag
    assert_security_headers(headers)
    assert body_of(response) == (ROOT / "web" / "dashboard" / name).read_bytes()


@pytest.mark.parametrize("query", [None, {"v": "0123456789abcdef01234567"}])
def test_an_asset_without_its_current_digest_is_revalidated_so_no_cache_pins_it(handler, query):
    response = get(handler, "/assets/dashboard.js", query)

    assert response["statusCode"] == 200
    assert response["headers"]["Cache-Control"] == "no-cache"
    assert body_of(response) == asset("dashboard.js").raw


@pytest.mark.parametrize("path", ["/", "/assets/pages.css"])
def test_the_current_etag_answers_304_without_a_body_with_validators_and_headers(handler, path):
    first = get(handler, path)

    again = get(handler, path, **{"If-None-Match": first["headers"]["ETag"], "Accept-Encoding": "gzip"})

    assert again["statusCode"] == 304
    assert not again.get("body")
    assert again["headers"]["ETag"] == first["headers"]["ETag"]
    assert again["headers"]["Cache-Control"] == first["headers"]["Cache-Control"]
    assert "Content-Encoding" not in again["headers"]
    assert_security_headers(again["headers"])


def test_an_old_etag_gets_the_whole_page(handler):
    response = get(handler, "/", **{"If-None-Match": 'W/"an-older-page"'})

    assert response["statusCode"] == 200
    assert body_of(response) == page("dashboard").raw


@pytest.mark.parametrize("path", ["/", "/assets/dashboard.js", "/assets/pages.css"])
def test_a_client_that_accepts_gzip_gets_gzip_and_one_that_refuses_it_does_not(handler, path):
    zipped = get(handler, path, **{"Accept-Encoding": "gzip, deflate, br"})
    plain = get(handler, path, **{"Accept-Encoding": "gzip;q=0, identity"})

    assert zipped["headers"]["Content-Encoding"] == "gzip"
    assert zipped["isBase64Encoded"] is True
    assert gzip.decompress(body_of(zipped)) == body_of(plain)
    assert len(body_of(zipped)) < len(body_of(plain))
    assert "Content-Encoding" not in plain["headers"]


@pytest.mark.parametrize("name", ["nope.js", "dashboard.html", "__init__.py", "files.py", "Pages.css", "..%2Fapp.py",
                                  "dashboard", ".js"])
def test_an_unknown_asset_is_404_in_the_one_error_shape(handler, name):
    response = get(handler, f"/assets/{name}")

    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {"error": {"code": "not_found", "message": f"no asset named {name!r}",
                                                      "details": []}}


def test_an_overlong_asset_name_is_422(handler):
    response = get(handler, "/assets/" + "a" * 65 + ".js")

    assert response["statusCode"] == 422
    assert json.loads(response["body"])["error"]["code"] == "invalid_input"


def test_the_sample_event_gets_the_gzipped_dashboard(handler):
    event = json.loads((ROOT / "events" / "pages.json").read_text())

    response = handler(event, FakeContext())

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Encoding"] == "gzip"
    assert gzip.decompress(body_of(response)) == page("dashboard").raw
