"""GET /api/v1/ops/failures through its handler, against the template's tables in moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tally.ops.kinds import OpsKind
from tally.ops.ledger import DynamoFailureLedger
from tally.ops.recorder import record_failure
from tests.apigw import ANONYMOUS, FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module

ROUTE = "/api/v1/ops/failures"


@pytest.fixture
def call(aws):
    app = load_handler_module("OpsFailuresFunction")

    def call(query=None, claims=None):
        event = http_event("GET", ROUTE, query=query, claims=caller_claims("demo") if claims is None else claims)
        response = app.lambda_handler(event, FakeContext())
        return response["statusCode"], json.loads(response["body"])

    return call


def record(org: str, kind: OpsKind, n: int, age: timedelta = timedelta(minutes=5)) -> None:
    for _ in range(n):
        record_failure(kind, "test-op", "boom", org_id=org, at=datetime.now(UTC) - age)


def test_a_viewer_gets_the_count_and_its_breakdown(call):
    record("demo", OpsKind.job, 2)
    record("demo", OpsKind.email, 1)
    record("demo", OpsKind.email, 4, age=timedelta(hours=2))  # outside 1h
    status, body = call({"since": "1h", "success": "false"})
    assert status == 200
    assert body["count"] == 3
    assert body["by_kind"]["job"] == 2 and body["by_kind"]["email"] == 1
    assert (body["since"], body["success"], body["kind"]) == ("1h", False, None)


def test_kind_filters_the_count_but_not_the_breakdown(call):
    record("demo", OpsKind.job, 2)
    record("demo", OpsKind.export, 1)
    status, body = call({"since": "24h", "kind": "export"})
    assert (status, body["count"], body["kind"], body["by_kind"]["job"]) == (200, 1, "export", 2)


def test_the_default_window_is_one_hour(call):
    record("demo", OpsKind.job, 1, age=timedelta(minutes=59))
    record("demo", OpsKind.job, 1, age=timedelta(minutes=61))
    assert call()[1]["count"] == 1


@pytest.mark.parametrize(("query", "field", "rule"), [
    ({"since": "8d"}, "since", "at most 7d"),
    ({"since": "0h"}, "since", "greater than 0"),
    ({"since": "1w"}, "since", r"^\d+[smhd]$"),
    ({"since": "abc"}, "since", r"^\d+[smhd]$"),
    ({"success": "true"}, "success", "must be false"),
    ({"success": "maybe"}, "success", "bool"),
    ({"kind": "bogus"}, "kind", "'ingest'"),
])
def test_invalid_parameters_are_422_naming_the_rule(call, query, field, rule):
    status, body = call(query)
    assert status == 422
    assert body["error"]["code"] == "invalid_input"
    assert any(d["field"] == field and rule in d["rule"] for d in body["error"]["details"]), body


def test_no_credentials_is_401_in_the_error_shape(call):
    status, body = call(claims=ANONYMOUS)
    assert status == 401
    assert body == {"error": {"code": "unauthenticated", "message": "missing credentials", "details": []}}


def test_a_caller_without_a_role_is_403(call):
    status, body = call(claims={**caller_claims("demo"), "roles": ""})
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_one_org_never_sees_another_orgs_failures(call):
    record("rival", OpsKind.ingest, 5)
    record("demo", OpsKind.ingest, 1)
    assert call(claims=caller_claims("demo"))[1]["count"] == 1
    assert call(claims=caller_claims("rival"))[1]["count"] == 5
    # the org comes only from the authorizer context: a query parameter cannot switch it
    assert call({"org_id": "rival"}, claims=caller_claims("demo"))[1]["count"] == 1


def test_a_crash_in_the_handler_is_a_500_in_the_error_shape_and_an_api_failure(aws, call, monkeypatch):
    app = load_handler_module("OpsFailuresFunction")

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app, "count_failures", explode)
    status, body = call()
    assert (status, body["error"]["code"]) == (500, "internal_error")
    assert "disk on fire" not in body["error"]["message"]
    tally = DynamoFailureLedger(aws["OpsTable"]).count(
        "demo", datetime.now(UTC) - timedelta(minutes=1), datetime.now(UTC) + timedelta(seconds=1))
    assert tally.by_kind[OpsKind.api] == 1
