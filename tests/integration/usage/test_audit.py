"""The data-access audit through real handlers (stats, failure counts) against the template's tables in moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tally.ops.kinds import OpsKind
from tally.ops.wiring import failure_ledger
from tally.platform.caller import Caller, Role
from tally.platform.errors import NotFound
from tally.sites.model import SiteCreate
from tally.sites.service import create_site
from tally.sites.wiring import site_store
from tally.usage.audit import AuditTrail, DynamoAuditStore, ResourceRef, entry_from_item
from tally.usage.keys import audit_pk
from tally.usage.wiring import audit_trail
from tests.apigw import FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module


def audit_rows(aws: Any, org: str, user: str) -> list[dict[str, Any]]:
    import boto3

    items = boto3.client("dynamodb").query(
        TableName=aws["UsageTable"], KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": audit_pk(org, user)}})["Items"]
    return [entry_from_item(org, user, item).as_row() for item in items]


def failures(kind: OpsKind, org: str) -> int:
    now = datetime.now(UTC)
    return failure_ledger().count(org, now - timedelta(hours=1), now + timedelta(minutes=1)).by_kind[kind]


@pytest.fixture
def site(aws):
    return create_site(site_store(), "demo", SiteCreate(domain="audited.example.com", timezone="UTC"))


def stats_event(site_id: str, kind: str = "overview", user: str = "demo-alice") -> dict[str, Any]:
    return http_event("GET", f"/api/v1/sites/{site_id}/stats/{kind}",
                      route=f"GET /api/v1/sites/{{site_id}}/stats/{kind}", path_parameters={"site_id": site_id},
                      claims=caller_claims("demo", user_id=user))


def test_a_stats_read_writes_one_audit_row_with_its_resource_and_read_units(aws, site):
    handler = load_handler_module("StatsFunction").lambda_handler
    event = stats_event(site.site_id, "breakdown")
    assert handler(event, FakeContext())["statusCode"] == 200
    assert handler(event, FakeContext())["statusCode"] == 200  # the same request delivered again
    [row] = audit_rows(aws, "demo", "demo-alice")
    assert row["id"] == event["requestContext"]["requestId"]
    assert row["action"] == "stats.breakdown"
    assert row["resource"] == {"kind": "site", "id": site.site_id, "name": "audited.example.com"}
    assert row["result"] == "ok"
    assert row["read_units"] > 0
    assert row["timestamp"] == datetime.fromtimestamp(event["requestContext"]["timeEpoch"] / 1000, UTC).isoformat()


def test_a_read_of_another_orgs_site_is_audited_as_not_found(aws, site):
    event = http_event("GET", f"/api/v1/sites/{site.site_id}/stats/realtime",
                       route="GET /api/v1/sites/{site_id}/stats/realtime",
                       path_parameters={"site_id": site.site_id}, claims=caller_claims("rival", user_id="rival-bob"))
    assert load_handler_module("StatsFunction").lambda_handler(event, FakeContext())["statusCode"] == 404
    [row] = audit_rows(aws, "rival", "rival-bob")
    assert (row["action"], row["result"], row["resource"]["name"]) == ("stats.realtime", "not_found", None)
    assert audit_rows(aws, "demo", "demo-alice") == []


def test_a_failure_count_read_is_audited_with_the_ledgers_read_units(aws):
    event = http_event("GET", "/api/v1/ops/failures", query={"since": "1h"},
                       claims=caller_claims("demo", user_id="demo-carol"))
    response = load_handler_module("OpsFailuresFunction").lambda_handler(event, FakeContext())
    assert response["statusCode"] == 200, response["body"]
    [row] = audit_rows(aws, "demo", "demo-carol")
    assert row["action"] == "ops.failures"
    assert row["resource"] == {"kind": "org", "id": "demo", "name": None}
    assert row["read_units"] >= 1


def test_a_failed_audit_write_never_fails_the_read_and_is_recorded_once(aws, site, monkeypatch):
    monkeypatch.setenv("USAGE_TABLE", "no-such-table")
    audit_trail.cache_clear()
    from tally.usage.settings import usage_settings

    usage_settings.cache_clear()
    handler = load_handler_module("StatsFunction").lambda_handler
    event = stats_event(site.site_id, "overview")
    for _ in range(2):  # a retried delivery of the same request
        response = handler(event, FakeContext())
        assert response["statusCode"] == 200, response["body"]
        assert json.loads(response["body"])["complete"] is True
    assert failures(OpsKind.usage, "demo") == 1
    usage_settings.cache_clear()
    audit_trail.cache_clear()


def test_the_trail_records_the_error_code_once_and_lets_the_error_through(aws):
    trail = AuditTrail(DynamoAuditStore(aws["UsageTable"]))
    caller = Caller(user_id="demo-dave", org_id="demo", roles=frozenset({Role.viewer}))
    event = {"requestContext": {"requestId": "r-1", "timeEpoch": 1_700_000_000_000}}
    with pytest.raises(NotFound), trail.reading(event, caller, action="export.download",
                                                resource=ResourceRef("export", "e1")):
        raise NotFound("no export e1")
    [row] = audit_rows(aws, "demo", "demo-dave")
    assert (row["result"], row["action"], row["id"]) == ("not_found", "export.download", "r-1")
    assert not trail.record(caller, action="export.download", resource=ResourceRef("export", "e1"), result="ok",
                            duration_ms=1, read_units=0, request_id="r-1", at_ms=1_700_000_000_000)
