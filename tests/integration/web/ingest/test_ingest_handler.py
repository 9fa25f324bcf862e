"""POST /api/event through its handler: Plausible's body shapes, limits, bots, idempotent ids."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.apigw import FakeContext, http_event
from tests.integration.handlers import load_handler_module

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36")


def post(body, *, ua=CHROME, headers=None, content_type="text/plain", ip="198.51.100.7", request_id=None):
    event = http_event("POST", "/api/event", body=body if isinstance(body, str) else json.dumps(body),
                       headers={"user-agent": ua, "content-type": content_type, **(headers or {})}, source_ip=ip)
    if request_id:
        event["requestContext"]["requestId"] = request_id
    return load_handler_module("IngestFunction").lambda_handler(event, FakeContext())


def stored(aws) -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=aws["EventsTable"])["Items"]
    return [i for i in items if "n" in i]


def test_a_pageview_in_short_keys_is_accepted_and_stored_enriched(web_env, site):
    s = site("example.com")
    response = post({"n": "pageview", "u": "https://www.example.com/blog/?utm_source=news#top",
                     "d": "example.com", "r": "https://www.google.com/"},
                    headers={"cloudfront-viewer-country": "DE"})
    assert response["statusCode"] == 202
    [item] = stored(web_env)
    assert item["p"]["S"] == "/blog/"
    assert item["us"]["S"] == "news"
    assert item["c"]["S"] == "DE"
    assert item["b"]["S"] == "Chrome"
    assert item["z"]["S"] == "UTC"
    assert item["pk"]["S"].startswith(s.site_id)


def test_long_keys_json_content_type_and_props_as_a_json_string(web_env, site):
    site("shop.test")
    response = post({"name": "Signup", "url": "https://shop.test/join", "domain": "shop.test",
                     "props": json.dumps({"plan": "pro", "trial": True})}, content_type="application/json")
    assert response["statusCode"] == 202
    [item] = stored(web_env)
    assert item["n"]["S"] == "Signup"
    assert item["pr"]["M"] == {"plan": {"S": "pro"}, "trial": {"S": "true"}}


def test_a_comma_list_of_domains_records_one_event_per_site(web_env, site):
    site("a.test")
    site("b.test", org="rival")
    assert post({"n": "pageview", "u": "https://a.test/", "d": "a.test,b.test,unknown.test"})["statusCode"] == 202
    assert len(stored(web_env)) == 2


def test_an_unknown_domain_is_dropped_silently(web_env, site):
    response = post({"n": "pageview", "u": "https://nobody.test/", "d": "nobody.test"})
    assert response["statusCode"] == 202
    assert stored(web_env) == []


@pytest.mark.parametrize("ua", ["Googlebot/2.1 (+http://www.google.com/bot.html)",
                                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/124.0 Safari/537.36",
                                "curl/8.5.0", "",
                                # names no browser (issue 10's misses), then a list-only catch
                                "SendGrid Event API",
                                "Mozilla/5.0 (compatible; Google-NotebookLM; +https://notebooklm.google.com/)",
                                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Bluesky Cardyb/1.1; "
                                "+mailto:support@bsky.app) Chrome/W.X.Y.Z Safari/537.36"])
def test_bots_are_dropped_with_a_header(web_env, site, ua):
    site("example.com")
    response = post({"n": "pageview", "u": "https://example.com/", "d": "example.com"}, ua=ua)
    assert response["statusCode"] == 202
    assert response["headers"]["x-tally-dropped"] == "1"
    assert stored(web_env) == []


def test_an_event_id_makes_retries_count_once(web_env, site):
    site("example.com")
    body = {"n": "pageview", "u": "https://example.com/", "d": "example.com", "id": "evt-42"}
    for _ in range(3):
        assert post(body)["statusCode"] == 202
    assert len(stored(web_env)) == 1


def test_a_lambda_retry_of_the_same_request_stores_once(web_env, site):
    site("example.com")
    body = {"n": "pageview", "u": "https://example.com/", "d": "example.com"}
    event = http_event("POST", "/api/event", body=json.dumps(body), headers={"user-agent": CHROME})
    for _ in range(2):
        load_handler_module("IngestFunction").lambda_handler(event, FakeContext())
    assert len(stored(web_env)) == 1


@pytest.mark.parametrize(("body", "status", "field"), [
    ("{not json", 400, None),
    ("[1, 2]", 400, None),
    ({"u": "https://example.com/", "d": "example.com"}, 422, "name"),
    ({"n": "pageview", "d": "example.com"}, 422, "url"),
    ({"n": "pageview", "u": "https://example.com/" + "a" * 2000, "d": "example.com"}, 422, "url"),
    ({"n": "pageview", "u": "https://example.com/", "d": "example.com", "r": "x" * 2001}, 422, "referrer"),
    ({"n": "e", "u": "https://example.com/", "d": "example.com", "p": {f"k{i}": i for i in range(31)}}, 422, "props"),
    ({"n": "e", "u": "https://example.com/", "d": "example.com", "p": {"k" * 301: 1}}, 422, "props"),
    ({"n": "e", "u": "https://example.com/", "d": "example.com", "p": {"k": "v" * 2001}}, 422, "props"),
    ({"n": "e", "u": "https://example.com/", "d": "example.com", "p": "not an object"}, 422, "props"),
    ({"n": "e", "u": "https://example.com/", "d": "example.com", "id": True}, 422, "id"),
])
def test_bad_input_gets_a_clear_error_in_the_one_shape(web_env, site, body, status, field):
    site("example.com")
    response = post(body)
    assert response["statusCode"] == status
    error = json.loads(response["body"])["error"]
    assert set(error) == {"code", "message", "details"}
    if field:
        assert error["details"][0]["field"] == field
    assert stored(web_env) == []


def test_a_body_over_64_kb_is_413(web_env, site):
    site("example.com")
    response = post({"n": "e", "u": "https://example.com/", "d": "example.com", "p": {"k": "v" * 70_000}})
    assert response["statusCode"] == 413


def test_no_raw_ip_or_user_agent_is_stored(web_env, site):
    site("example.com")
    post({"n": "pageview", "u": "https://example.com/", "d": "example.com"}, ip="203.0.113.77")
    dump = json.dumps(boto3.client("dynamodb").scan(TableName=web_env["EventsTable"])["Items"])
    assert "203.0.113.77" not in dump
    assert "Windows NT 10.0" not in dump
