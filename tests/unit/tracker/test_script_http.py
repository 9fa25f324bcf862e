"""GET /js/script.js through its handler: caching validators, 304, gzip negotiation, content type."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from tally.web.tracker import CACHE_CONTROL, tracker_script
from tally_dev.template import ROOT
from tests.apigw import FakeContext, http_event
from tests.integration.handlers import load_handler_module


@pytest.fixture(scope="module")
def handler():
    return load_handler_module("TrackerFunction").lambda_handler


def get(handler, **headers: str) -> dict:
    return handler(http_event("GET", "/js/script.js", headers=headers), FakeContext())


def body_of(response: dict) -> bytes:
    body = response["body"]
    return base64.b64decode(body) if response["isBase64Encoded"] else body.encode()


def test_the_script_is_javascript_with_a_day_of_caching_and_an_etag(handler):
    response = get(handler)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["headers"]["Cache-Control"] == CACHE_CONTROL
    assert "max-age=86400" in CACHE_CONTROL
    assert response["headers"]["ETag"] == tracker_script().etag
    assert response["headers"]["Vary"] == "Accept-Encoding"
    assert "Content-Encoding" not in response["headers"]
    assert body_of(response).decode() == tracker_script().text


def test_a_client_that_accepts_gzip_gets_the_gzipped_script(handler):
    response = get(handler, **{"Accept-Encoding": "gzip, deflate, br"})

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Encoding"] == "gzip"
    assert response["isBase64Encoded"] is True
    assert gzip.decompress(body_of(response)).decode() == tracker_script().text
    assert len(body_of(response)) <= 2048


def test_gzip_refused_with_q_zero_gets_the_plain_script(handler):
    response = get(handler, **{"Accept-Encoding": "gzip;q=0, identity"})

    assert "Content-Encoding" not in response["headers"]
    assert body_of(response).decode() == tracker_script().text


def test_the_current_etag_answers_304_without_a_body_but_with_its_validators(handler):
    etag = get(handler)["headers"]["ETag"]

    response = get(handler, **{"If-None-Match": etag, "Accept-Encoding": "gzip"})

    assert response["statusCode"] == 304
    assert not response.get("body")
    assert response["headers"]["ETag"] == etag
    assert response["headers"]["Cache-Control"] == CACHE_CONTROL
    assert "Content-Encoding" not in response["headers"]


def test_an_old_etag_gets_the_whole_script(handler):
    response = get(handler, **{"If-None-Match": 'W/"an-older-script"'})

    assert response["statusCode"] == 200
    assert body_of(response).decode() == tracker_script().text


def test_the_sample_event_gets_the_gzipped_script(handler):
    event = json.loads((ROOT / "events" / "tracker.json").read_text())

    response = handler(event, FakeContext())

    assert response["statusCode"] == 200
    assert gzip.decompress(body_of(response)).decode() == tracker_script().text


def test_head_answers_like_get_without_a_body(handler):
    got = get(handler, **{"Accept-Encoding": "gzip"})
    head = handler(http_event("HEAD", "/js/script.js", headers={"Accept-Encoding": "gzip"}), FakeContext())

    assert head["statusCode"] == 200
    assert not head["body"]
    for name in ("Content-Type", "Cache-Control", "ETag", "Vary", "Content-Encoding"):
        assert head["headers"][name] == got["headers"][name]
