"""GET /api/v1/public/stats through the Lambda handler, with real HTTP API v2 events, against moto."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model

from tally.ops.kinds import PLATFORM_ORG, OpsKind
from tally.ops.wiring import failure_ledger
from tally.public_stats import wiring
from tally.totals.counters import Contribution
from tally.totals.store import DynamoTotals
from tests.apigw import FakeContext, http_event
from tests.integration.handlers import load_handler_module
from tests.integration.public_stats.conftest import Faults, dynamodb
from tests.unit.public_stats.fakes import FakeClock, RecordingSleeper

EVENT_FILE = Path(__file__).resolve().parents[3] / "events" / "public_stats.json"
PATH = "/api/v1/public/stats"


@pytest.fixture
def handler():
    return load_handler_module("PublicStatsFunction").lambda_handler


@pytest.fixture
def use_runtime(monkeypatch, stats_settings):
    """Point the handler at a runtime built with an injected clock (and optionally faulty clients)."""

    def install(clock: FakeClock, **clients):
        runtime = wiring.build(stats_settings, clock=clock, sleeper=RecordingSleeper(), rng=lambda: 0.0,
                               client=clients.pop("client", None) or dynamodb(), **clients)
        monkeypatch.setattr(wiring, "runtime", functools.cache(lambda: runtime))
        return runtime

    return install


def get(handler, source_ip="198.51.100.7", headers=None):
    response = handler(http_event("GET", PATH, source_ip=source_ip, headers=headers), FakeContext())
    return response["statusCode"], response.get("headers") or {}, response.get("body")


def failures_recorded(kind: OpsKind) -> int:
    now = datetime.now(UTC)
    return failure_ledger().count(PLATFORM_ORG, now - timedelta(hours=1), now + timedelta(minutes=1)).by_kind[kind]


def test_the_sample_event_is_a_real_http_api_v2_event_without_authorizer_and_is_answered(aws, handler, use_runtime):
    event = json.loads(EVENT_FILE.read_text())
    parsed = APIGatewayProxyEventV2Model.model_validate(event)
    assert parsed.requestContext.authorizer is None and parsed.routeKey == f"GET {PATH}"
    use_runtime(FakeClock())
    response = handler(event, FakeContext())
    assert response["statusCode"] == 200, response


def test_the_figures_come_from_the_recorded_totals_with_caching_and_rate_limit_headers(aws, handler, use_runtime):
    totals = DynamoTotals(aws["PublicStatsTable"], dynamodb())
    totals.record_contribution("site#a", Contribution(sites=1))
    totals.record_contribution("site#b", Contribution(sites=1))
    totals.record_contribution("web#a#2026-01-01T00", Contribution(pageviews=1234, visit_ms=45_000_000))
    use_runtime(FakeClock(1_767_225_600.0))
    status, headers, body = get(handler)
    assert status == 200
    assert json.loads(body) == {"sites": 2, "pageviews": 1234, "hours_recorded": 12.5, "repositories_analyzed": 0,
                                "generated_at": "2026-01-01T00:00:00Z"}
    assert headers["Cache-Control"] == "public, max-age=3600, stale-while-revalidate=600"
    assert headers["ETag"].startswith('"v1-')
    assert (headers["RateLimit-Limit"], headers["RateLimit-Remaining"], headers["RateLimit-Reset"]) == ("10", "9", "60")


def test_if_none_match_with_the_current_etag_answers_304_without_a_body(aws, handler, use_runtime):
    clock = use_runtime(FakeClock()).service.clock
    _, headers, _ = get(handler)
    clock.advance(20)
    status, not_modified, body = get(handler, headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and not body
    assert not_modified["ETag"] == headers["ETag"]
    assert not_modified["Cache-Control"] == "public, max-age=3580, stale-while-revalidate=600"
    assert not_modified["RateLimit-Remaining"] == "8"
    assert "Content-Type" not in not_modified
    status, _, body = get(handler, headers={"If-None-Match": '"v0-outdated"'})
    assert status == 200 and json.loads(body)["sites"] == 0


def test_the_eleventh_request_from_one_ip_is_429_in_the_error_shape_while_another_ip_passes(aws, handler,
                                                                                             use_runtime):
    use_runtime(FakeClock(1_767_225_600.0 + 15))
    for _ in range(10):
        assert get(handler, "203.0.113.5")[0] == 200
    status, headers, body = get(handler, "203.0.113.5")
    assert status == 429
    assert json.loads(body)["error"]["code"] == "rate_limited"
    assert headers["Retry-After"] == "45" and headers["RateLimit-Remaining"] == "0"
    assert get(handler, "203.0.113.6")[0] == 200


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(aws, handler, use_runtime):
    use_runtime(FakeClock())
    statuses = [get(handler, "203.0.113.5", headers={"X-Forwarded-For": f"10.0.0.{n}"})[0] for n in range(11)]
    assert statuses == [200] * 10 + [429]


def test_no_raw_ip_is_stored_after_answering_requests(aws, handler, use_runtime):
    use_runtime(FakeClock())
    for ip in ("198.51.100.7", "2001:db8:5:6::7"):
        get(handler, ip, headers={"X-Forwarded-For": ip})
    dump = json.dumps(dynamodb().scan(TableName=aws["PublicStatsTable"])["Items"], default=repr)
    assert "198.51.100.7" not in dump and "2001:db8:5:6" not in dump


def test_a_failing_cache_table_still_answers_and_the_failures_are_recorded(aws, handler, use_runtime):
    DynamoTotals(aws["PublicStatsTable"], dynamodb()).record_contribution("web#x", Contribution(pageviews=42))
    faults = Faults(operations={"GetItem", "PutItem", "DeleteItem"})
    use_runtime(FakeClock(), cache_client=dynamodb(faults))
    status, headers, body = get(handler)
    assert status == 200 and json.loads(body)["pageviews"] == 42
    assert "ETag" in headers and "RateLimit-Remaining" in headers
    assert faults.failed and failures_recorded(OpsKind.cache) >= 1


def test_a_failing_rate_limit_table_still_answers_with_rate_limit_headers(aws, handler, use_runtime):
    use_runtime(FakeClock(), rate_limit_client=dynamodb(Faults(unreachable=True)))
    status, headers, _ = get(handler)
    assert status == 200 and headers["RateLimit-Remaining"] == "9"
    assert failures_recorded(OpsKind.cache) == 1


def test_a_cache_outage_serves_the_last_known_value_without_recomputing(aws, handler, use_runtime):
    faults = Faults(active=False, unreachable=True)
    runtime = use_runtime(FakeClock(), cache_client=dynamodb(faults))
    _, first, _ = get(handler)
    faults.active = True
    runtime.service.clock.advance(4000)  # expired, and the cache cannot be read
    status, headers, _ = get(handler)
    assert status == 200 and headers["ETag"] == first["ETag"]
    assert headers["Cache-Control"].startswith("public, max-age=0,")


def test_when_nothing_can_be_computed_the_answer_is_503_with_retry_after(aws, handler, use_runtime):
    use_runtime(FakeClock(), client=dynamodb(Faults(code="InternalServerError")))
    status, headers, body = get(handler)
    assert status == 503
    assert json.loads(body)["error"]["code"] == "service_unavailable"
    assert headers["Retry-After"] == "30" and headers["RateLimit-Limit"] == "10"
    assert failures_recorded(OpsKind.api) == 1


def test_the_default_runtime_is_built_from_the_environment_on_first_use(aws, handler):
    status, headers, _ = get(handler)
    assert status == 200 and headers["ETag"].startswith('"v1-')
    assert wiring.runtime().settings.table == aws["PublicStatsTable"]
