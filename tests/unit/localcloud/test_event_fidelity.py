"""The events the local API Gateway builds are the events a real HTTP API (payload 2.0) sends."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import UTC, datetime

import pytest
from aws_lambda_powertools.utilities.parser.models import ApiGatewayAuthorizerRequestV2, APIGatewayProxyEventV2Model

FAILURES = "/api/v1/ops/failures"
PROBE = "/_no_route_has_this/path"  # always the $default route, whatever routes the template gains
MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
API_GATEWAY_TIME = re.compile(rf"^\d{{2}}/({MONTHS})/\d{{4}}:\d{{2}}:\d{{2}}:\d{{2}} \+0000$")


def route_event(tally_api, function="OpsFailuresFunction"):
    return tally_api.runner.events_of(function)[-1]


def test_header_names_are_lower_case_in_route_and_authorizer_events(tally_api):
    tally_api.client.get(FAILURES, headers={"X-Tally-Probe": "Mixed-Case Value", "Authorization": "Bearer t"})

    for event in (route_event(tally_api), route_event(tally_api, "AuthorizerFunction")):
        assert all(name == name.lower() for name in event["headers"])
        assert event["headers"]["x-tally-probe"] == "Mixed-Case Value"
        assert event["headers"]["authorization"] == "Bearer t"


def test_every_request_gets_its_own_request_id_shared_by_its_events_and_its_response(tally_api):
    first = tally_api.client.get(FAILURES)
    second = tally_api.client.get(FAILURES)

    ids = [e["requestContext"]["requestId"] for e in tally_api.runner.events_of("OpsFailuresFunction")]
    auth_ids = [e["requestContext"]["requestId"] for e in tally_api.runner.events_of("AuthorizerFunction")]
    assert len(set(ids)) == 2
    assert auth_ids == ids
    assert [first.headers["apigw-requestid"], second.headers["apigw-requestid"]] == ids


def test_time_epoch_is_in_milliseconds_and_time_is_api_gateway_formatted(tally_api):
    before_ms = int(time.time() * 1000)
    tally_api.client.get(FAILURES)
    after_ms = int(time.time() * 1000) + 1

    context = route_event(tally_api)["requestContext"]
    assert before_ms <= context["timeEpoch"] <= after_ms
    assert API_GATEWAY_TIME.match(context["time"])
    moment = datetime.fromtimestamp(context["timeEpoch"] / 1000, UTC)
    assert context["time"] == moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def test_route_key_names_the_template_route_and_default_for_unmatched_paths(tally_api):
    tally_api.client.get(f"{FAILURES}?since=2h&kind=job")
    tally_api.client.get(PROBE)

    matched = route_event(tally_api)
    assert matched["routeKey"] == matched["requestContext"]["routeKey"] == f"GET {FAILURES}"
    assert matched["rawQueryString"] == "since=2h&kind=job"
    assert matched["queryStringParameters"] == {"since": "2h", "kind": "job"}
    unmatched = route_event(tally_api, "FallbackFunction")
    assert unmatched["routeKey"] == unmatched["requestContext"]["routeKey"] == "$default"
    assert unmatched["rawPath"] == unmatched["requestContext"]["http"]["path"] == PROBE
    assert "pathParameters" not in unmatched


def test_the_authorizer_runs_first_and_its_context_reaches_the_handler(tally_api):
    tally_api.client.get(FAILURES, headers={"Authorization": "Bearer t"})

    assert [name for name, _ in tally_api.runner.calls] == ["AuthorizerFunction", "OpsFailuresFunction"]
    authorizer_event = route_event(tally_api, "AuthorizerFunction")
    assert authorizer_event["type"] == "REQUEST"
    assert authorizer_event["routeArn"].endswith(f"/$default/GET{FAILURES}")
    assert "body" not in authorizer_event
    assert route_event(tally_api)["requestContext"]["authorizer"]["lambda"]["org_id"] == "demo"


def test_the_default_route_runs_without_the_authorizer(tally_api):
    tally_api.client.get(PROBE, headers={"Authorization": "Bearer t"})

    assert [name for name, _ in tally_api.runner.calls] == ["FallbackFunction"]
    assert "authorizer" not in route_event(tally_api, "FallbackFunction")["requestContext"]


def test_wrong_method_on_a_known_path_goes_to_the_default_route(tally_api):
    tally_api.client.post(FAILURES, data="{}", content_type="application/json")
    tally_api.client.head(FAILURES)

    methods = [e["requestContext"]["http"]["method"] for e in tally_api.runner.events_of("FallbackFunction")]
    assert methods == ["POST", "HEAD"]
    assert tally_api.runner.events_of("OpsFailuresFunction") == []


def test_json_and_text_bodies_arrive_as_text(tally_api):
    tally_api.client.post(PROBE, data='{"n":"pageview"}', content_type="application/json")
    tally_api.client.post(PROBE, data="plain words", content_type="text/plain; charset=utf-8")

    json_event, text_event = tally_api.runner.events_of("FallbackFunction")
    assert (json_event["body"], json_event["isBase64Encoded"]) == ('{"n":"pageview"}', False)
    assert (text_event["body"], text_event["isBase64Encoded"]) == ("plain words", False)


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/x-www-form-urlencoded", None])
def test_other_bodies_arrive_base64_encoded(tally_api, content_type):
    raw = b"a=1&b=\xff\x00"
    headers = {"Content-Type": content_type} if content_type else {}
    tally_api.client.post(PROBE, data=raw, headers=headers)

    event = route_event(tally_api, "FallbackFunction")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_a_request_without_body_has_no_body_field(tally_api):
    tally_api.client.get(FAILURES)

    event = route_event(tally_api)
    assert "body" not in event
    assert event["isBase64Encoded"] is False


def test_cookies_travel_in_the_cookies_field_not_the_headers(tally_api):
    tally_api.client.set_cookie("theme", "dark")
    tally_api.client.get(FAILURES)

    event = route_event(tally_api)
    assert event["cookies"] == ["theme=dark"]
    assert "cookie" not in event["headers"]


def test_every_built_event_matches_the_powertools_models(tally_api):
    tally_api.client.get(f"{FAILURES}?since=1h", headers={"Authorization": "Bearer t", "Origin": "https://x.test"})
    tally_api.client.post(PROBE, data=json.dumps({"n": "pageview"}), content_type="application/json")
    tally_api.client.put(PROBE, data=b"\x00\x01", content_type="application/octet-stream")
    tally_api.client.delete(f"{PROBE}/abc?x=1&x=2")

    functions = [name for name, _ in tally_api.runner.calls]
    assert functions.count("AuthorizerFunction") == 1
    assert len(functions) == 5
    for function, event in tally_api.runner.calls:
        if function == "AuthorizerFunction":
            ApiGatewayAuthorizerRequestV2.model_validate(event)
        else:
            APIGatewayProxyEventV2Model.model_validate(event)
        assert event["version"] == "2.0"
        assert event["requestContext"]["stage"] == "$default"
        assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
