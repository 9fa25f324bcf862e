"""The usage recorder: access-log batches in, usage rows and daily rollups out, each request exactly once."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tally.ops.kinds import PLATFORM_ORG, OpsKind
from tally.ops.wiring import failure_ledger
from tally.usage.keys import request_pk
from tally.usage.recorder import UsageRecorder
from tests.integration.usage.usage_helpers import DAY_MS, T0, deliver, line, me

MINUTE_MS = 60_000


def rows(aws: Any, org: str, user: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")
    pages = client.get_paginator("query").paginate(
        TableName=aws["UsageTable"], KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": request_pk(org, user)}})
    return [item for page in pages for item in page["Items"]]


def test_a_replayed_batch_and_a_redelivered_line_record_once(aws):
    batch = [line(at_ms=T0 + n * 1000) for n in range(5)]
    assert deliver(batch) == {"recorded": 5, "duplicates": 0}
    assert deliver(batch) == {"recorded": 0, "duplicates": 5}  # the same batch again
    assert deliver([batch[2], line(at_ms=T0 + 9000)]) == {"recorded": 1, "duplicates": 1}
    assert len(rows(aws, "demo", "demo-alice")) == 6


def test_first_seen_is_the_earliest_request_whatever_order_the_batches_arrive_in(aws):
    later = [line(at_ms=T0 + DAY_MS + n * 1000, session="sid-a") for n in range(3)]
    earlier = [line(at_ms=T0 + n * 1000, session="sid-a") for n in range(2)]
    deliver(later)
    deliver(earlier)  # a retried (or re-driven) batch lands after the later one
    deliver(later)  # and a replay of the later one moves nothing forward again

    status, usage = me("/api/v1/me/stats/usage", query={"days": "365"})
    assert status == 200, usage
    assert usage["totals"]["requests"] == 5
    assert usage["totals"]["first_seen"] == _iso(T0)
    status, page = me("/api/v1/me/stats/sessions")
    assert status == 200, page
    assert [(s["id"], s["first_seen"], s["requests"]) for s in page["sessions"]] == [("sid-a", _iso(T0), 5)]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def test_unauthenticated_and_malformed_lines_are_no_ones_usage(aws):
    assert deliver([line(authenticated=False), {"nonsense": "x"}]) == {"recorded": 0, "duplicates": 0}


def test_the_usage_aggregates_equal_a_brute_force_count_of_the_rows(aws, monkeypatch):
    today = T0 + 3 * DAY_MS
    monkeypatch.setattr("tally.usage.service.datetime", _FrozenAt(today))
    generator = random.Random(12)
    routes = ["GET /api/v1/sites", "GET /api/v1/me/stats/usage", "GET /api/v1/sites/{site_id}/stats/overview"]
    lines = []
    for n in range(120):
        keyed = generator.random() < 0.4
        lines.append(line(at_ms=T0 + generator.randrange(4 * DAY_MS), route=generator.choice(routes),
                          status=generator.choice([200, 200, 200, 404, 422]),
                          session=None if keyed else generator.choice(["sid-a", "sid-b"]),
                          key=generator.choice(["k1", "k2"]) if keyed else None, request_id=f"r{n:04d}"))
    for start in range(0, len(lines), 37):  # in several batches, one of them replayed
        deliver(lines[start:start + 37])
    deliver(lines[37:74])

    status, usage = me("/api/v1/me/stats/usage", query={"days": "4"})
    assert status == 200, usage
    stored = rows(aws, "demo", "demo-alice")
    assert len(stored) == 120
    assert usage["totals"]["requests"] == 120
    assert usage["totals"]["errors"] == sum(int(r["status"]["N"]) >= 400 for r in stored)
    by_day = Counter(_day(int(r["sk"]["S"][:13])) for r in stored)
    assert {d["date"]: d["requests"] for d in usage["daily"] if d["requests"]} == dict(by_day)
    assert {e["route"]: e["requests"] for e in usage["by_endpoint"]} == dict(Counter(r["route"]["S"] for r in stored))
    assert {k["key_id"]: k["requests"] for k in usage["by_api_key"]} == \
        dict(Counter(r["key_id"]["S"] for r in stored if "key_id" in r))
    sessions = Counter(r["session_id"]["S"] for r in stored)
    assert [s["requests"] for s in usage["top_sessions"]] == sorted(sessions.values(), reverse=True)[:10]
    assert {s["id"]: s["requests"] for s in usage["top_sessions"]} == \
        {sid: n for sid, n in sessions.items() if sid in {s["id"] for s in usage["top_sessions"]}}


def test_api_key_calls_form_sessions_with_a_30_minute_gap(aws):
    at = [T0, T0 + 10 * MINUTE_MS, T0 + 39 * MINUTE_MS, T0 + 69 * MINUTE_MS, T0 + 70 * MINUTE_MS]
    deliver([line(at_ms=t, session=None, key="k1") for t in at[:3]])
    deliver([line(at_ms=t, session=None, key="k1") for t in at[3:]])  # a gap of exactly 30 minutes: a new one
    deliver([line(at_ms=T0 + 200 * MINUTE_MS + i * MINUTE_MS, session=None, key="k1") for i in range(90)])
    status, page = me("/api/v1/me/stats/sessions")
    assert status == 200
    assert [(s["kind"], s["requests"], s["key_id"]) for s in page["sessions"]] == \
        [("key", 90, "k1"), ("key", 2, "k1"), ("key", 3, "k1")]  # 90 calls a minute apart: one session


def _day(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


class _FrozenAt:
    """`datetime` as `tally.usage.service` sees it, with `now()` fixed."""

    def __init__(self, at_ms: int) -> None:
        from datetime import UTC, datetime

        self._now = datetime.fromtimestamp(at_ms / 1000, UTC)

    def now(self, tz: Any = None) -> Any:
        return self._now

    def __getattr__(self, name: str) -> Any:
        from datetime import datetime

        return getattr(datetime, name)


def test_a_batch_that_cannot_be_recorded_is_raised_for_lambdas_retries_and_counted_once_in_the_ledger(aws,
                                                                                                     monkeypatch):
    def broken(self: UsageRecorder, records: Any) -> Any:
        raise RuntimeError("usage table unavailable")

    def usage_failures() -> int:
        now = datetime.now(UTC)
        return failure_ledger().count(PLATFORM_ORG, now - timedelta(hours=1),
                                      now + timedelta(minutes=1)).by_kind[OpsKind.usage]

    monkeypatch.setattr(UsageRecorder, "record", broken)
    before = usage_failures()
    batch = [line(user="demo-broken", at_ms=T0 + n) for n in range(3)]
    for _ in range(3):  # the first attempt and Lambda's two retries: one failure, not three
        with pytest.raises(RuntimeError, match="usage table unavailable"):
            deliver(batch)

    assert usage_failures() == before + 1
