"""The pure pieces of an HTTP API event: ids, times, headers, bodies."""

from __future__ import annotations

import base64
import locale
from datetime import UTC, datetime

import pytest

from tally_dev.localcloud.events import (
    RequestFacts,
    api_gateway_time,
    authorizer_request_event,
    epoch_millis,
    http_api_event,
    is_text_media_type,
    lower_case_headers,
    new_request_id,
    requested_moment,
)

MOMENT = datetime(2026, 3, 7, 9, 5, 3, 456_000, tzinfo=UTC)


def facts(**overrides):
    values = {"method": "GET", "path": "/p", "route_key": "GET /p", "source_ip": "203.0.113.7", "now": MOMENT}
    return RequestFacts.new(**{**values, **overrides})


def test_request_ids_look_like_api_gateways_and_never_repeat():
    ids = {new_request_id() for _ in range(1000)}

    assert len(ids) == 1000
    assert all(len(i) == 16 and i.endswith("=") for i in ids)


def test_api_gateway_time_uses_english_month_names_whatever_the_locale():
    previous = locale.setlocale(locale.LC_TIME)
    try:
        for name in ("de_DE.UTF-8", "fr_FR.UTF-8"):
            try:
                locale.setlocale(locale.LC_TIME, name)
            except locale.Error:
                continue
        assert api_gateway_time(MOMENT) == "07/Mar/2026:09:05:03 +0000"
    finally:
        locale.setlocale(locale.LC_TIME, previous)


def test_epoch_is_in_milliseconds():
    assert epoch_millis(MOMENT) == 1772874303456


def test_repeated_headers_are_joined_with_commas_under_lower_case_names():
    assert lower_case_headers([("Accept", "a"), ("X-Thing", "1"), ("x-thing", "2")]) == {"accept": "a",
                                                                                         "x-thing": "1,2"}


@pytest.mark.parametrize(("content_type", "text"), [
    ("application/json", True), ("application/json; charset=utf-8", True), ("text/plain", True),
    ("text/csv", True), ("application/xml", True), ("application/javascript", True),
    ("application/x-www-form-urlencoded", False), ("application/octet-stream", False),
    ("image/png", False), ("", False), (None, False),
])
def test_which_bodies_an_http_api_passes_as_text(content_type, text):
    assert is_text_media_type(content_type) is text


def test_a_text_body_that_is_not_utf8_is_base64_encoded():
    event = http_api_event({}, facts(), raw_body=b"\xff\xfe", headers=[("Content-Type", "text/plain")])

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe"


def test_the_client_address_is_appended_to_x_forwarded_for():
    event = http_api_event({}, facts(), raw_body=b"", headers=[("X-Forwarded-For", "198.51.100.1")])

    assert event["headers"]["x-forwarded-for"] == "198.51.100.1, 203.0.113.7"


def test_the_default_route_has_no_path_parameters():
    sam_event = {"pathParameters": {"any_path": "x/y"}}

    event = http_api_event(sam_event, facts(default_route=True, route_key="$default"), raw_body=b"", headers=[])

    assert "pathParameters" not in event
    assert event["routeKey"] == "$default"


def test_an_authorizer_event_has_no_body_and_no_authorizer_context():
    route_event = http_api_event({}, facts(), raw_body=b"{}", headers=[("Content-Type", "application/json")])
    route_event["requestContext"]["authorizer"] = {"lambda": {}}

    event = authorizer_request_event(route_event, route_arn="arn:x", identity_source=None)

    assert "body" not in event and "isBase64Encoded" not in event
    assert "authorizer" not in event["requestContext"]
    assert "identitySource" not in event
    assert (event["type"], event["routeArn"]) == ("REQUEST", "arn:x")


def test_a_past_request_time_header_sets_the_request_moment_and_a_future_or_bad_one_is_ignored():
    now = MOMENT
    past = int(MOMENT.timestamp() * 1000) - 3 * 86_400_000
    assert requested_moment([("X-Localcloud-Request-Time", str(past))], now=now) == datetime.fromtimestamp(
        past / 1000, UTC)
    assert requested_moment([("x-localcloud-request-time", str(past + 4 * 86_400_000))], now=now) is None
    assert requested_moment([("x-localcloud-request-time", "yesterday")], now=now) is None
    assert requested_moment([("accept", "*/*")], now=now) is None


def test_the_request_time_header_is_the_local_clouds_alone_and_never_reaches_a_function():
    event = http_api_event({}, facts(), raw_body=b"",
                           headers=[("X-Localcloud-Request-Time", "1"), ("Accept", "*/*")])

    assert "x-localcloud-request-time" not in event["headers"]
    assert event["headers"]["accept"] == "*/*"
