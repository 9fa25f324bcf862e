"""Every request the official Plausible tracker sent (recorded in a real browser, see
tests/e2e/tracker/test_plausible_tracker.py) is accepted by POST /api/event unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from tests.apigw import FakeContext, http_event
from tests.integration.handlers import load_handler_module

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "plausible_tracker_requests.json"
DESKTOP_CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
                  "Safari/537.36")


def recorded_requests() -> list[dict]:
    document = json.loads(FIXTURE.read_text())
    return [request for step in document["steps"] for request in step["requests"]]


def test_the_plausible_trackers_requests_are_accepted_and_stored(web_env, site):
    site("site.example.test")
    requests = recorded_requests()
    assert requests, "the fixture recorded no request"
    for request in requests:
        # the recording ran in headless chromium, which Tally rightly drops as a bot: replay it as a
        # person's desktop Chrome, with every other header and the body exactly as recorded
        headers = {**request["headers"], "user-agent": DESKTOP_CHROME}
        event = http_event("POST", "/api/event", body=request["body"], headers=headers)
        response = load_handler_module("IngestFunction").lambda_handler(event, FakeContext())
        assert response["statusCode"] == 202, (request["body"], response["body"])
        assert "x-tally-dropped" not in response.get("headers", {})
    items = [i for i in boto3.client("dynamodb").scan(TableName=web_env["EventsTable"])["Items"] if "n" in i]
    names = sorted(i["n"]["S"] for i in items)
    assert len(items) == len(requests)
    assert "pageview" in names
    assert "engagement" in names
    assert any("pr" in i for i in items)  # props with numbers arrived as text


def test_as_recorded_the_headless_browser_is_dropped_as_a_bot(web_env, site):
    site("site.example.test")
    request = recorded_requests()[0]
    event = http_event("POST", "/api/event", body=request["body"], headers=request["headers"])
    response = load_handler_module("IngestFunction").lambda_handler(event, FakeContext())
    assert response["statusCode"] == 202
    assert response["headers"]["x-tally-dropped"] == "1"
