"""The DynamoDB failure ledger against moto: exact counts under retries and concurrent recorders."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.ops.kinds import OpsKind
from tally.ops.ledger import DynamoFailureLedger
from tally.ops.recorder import record_failure

NOW = datetime(2026, 11, 25, 12, 34, 56, 789_000, tzinfo=UTC)


def brute_force(table: str, org: str, start: datetime, end: datetime) -> dict[str, int]:
    """Scan every ledger entry (what the buckets must agree with)."""
    counts = {k.value: 0 for k in OpsKind}
    client = boto3.client("dynamodb")
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            if not item["pk"]["S"].startswith(f"{org}#F#"):
                continue
            at = datetime.fromisoformat(item["at"]["S"])
            if start <= at < end:
                counts[item["kind"]["S"]] += 1
    return counts


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    failures=st.lists(st.tuples(st.integers(0, 8 * 86400 * 1000), st.sampled_from(list(OpsKind))), max_size=25),
    windows=st.lists(st.integers(1, 7 * 86400), min_size=1, max_size=4),
    run=st.uuids(),
)
def test_counts_equal_a_scan_of_the_ledger_for_any_window(aws, failures, windows, run):
    org = f"org-{run.hex[:8]}"
    ledger = DynamoFailureLedger(aws["OpsTable"])
    for i, (offset, kind) in enumerate(failures):
        at = NOW - timedelta(milliseconds=offset)
        record_failure(kind, "op", "boom", org_id=org, failure_id=f"f{i}", ledger=ledger, at=at)
        # a retry of the same failure must not count twice
        record_failure(kind, "op", "boom", org_id=org, failure_id=f"f{i}", ledger=ledger, at=at)
    for window_s in windows:
        start = NOW - timedelta(seconds=window_s)
        tally = ledger.count(org, start, NOW)
        assert {k.value: n for k, n in tally.by_kind.items()} == brute_force(aws["OpsTable"], org, start, NOW)


def test_concurrent_recorders_lose_no_failure_and_count_none_twice(aws_server):
    aws = aws_server
    ledger = DynamoFailureLedger(aws["OpsTable"])
    barrier = threading.Barrier(8)

    def record(worker: int) -> None:
        barrier.wait()
        for i in range(15):
            # every worker hits the same minute bucket; workers 0-3 also replay each other's ids
            failure_id = f"shared-{i}" if worker < 4 else f"w{worker}-{i}"
            record_failure(OpsKind.ingest, "store", "boom", org_id="demo", failure_id=failure_id, ledger=ledger,
                           at=NOW - timedelta(seconds=i))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(record, range(8)))
    start = NOW - timedelta(hours=1)
    expected = brute_force(aws["OpsTable"], "demo", start, NOW + timedelta(seconds=1))
    assert expected["ingest"] == 15 + 4 * 15
    assert ledger.count("demo", start, NOW + timedelta(seconds=1)).by_kind[OpsKind.ingest] == expected["ingest"]


def test_reading_seven_days_touches_buckets_not_failures(aws):
    ledger = DynamoFailureLedger(aws["OpsTable"])
    for i in range(120):  # two failures a minute for an hour, a day ago
        record_failure(OpsKind.job, "seal", "boom", org_id="busy", failure_id=f"b{i}", ledger=ledger,
                       at=NOW - timedelta(days=1, seconds=30 * i))
    tally = ledger.count("busy", NOW - timedelta(days=7), NOW)
    assert tally.by_kind[OpsKind.job] == 120
    assert tally.items_read <= 3  # the day/hour buckets that hold them, never the 120 entries


def test_another_orgs_failures_are_never_counted(aws):
    ledger = DynamoFailureLedger(aws["OpsTable"])
    record_failure(OpsKind.email, "send", "bounce", org_id="rival", ledger=ledger, at=NOW - timedelta(minutes=5))
    assert ledger.count("demo", NOW - timedelta(hours=1), NOW).total == 0
    assert ledger.count("rival", NOW - timedelta(hours=1), NOW).total == 1


def test_a_failure_reported_again_minutes_later_counts_once(aws):
    ledger = DynamoFailureLedger(aws["OpsTable"])
    assert record_failure(OpsKind.aggregation, "batch", "dlq", org_id="demo", failure_id="b1", ledger=ledger, at=NOW)
    assert not record_failure(OpsKind.aggregation, "batch", "dlq", org_id="demo", failure_id="b1", ledger=ledger,
                              at=NOW + timedelta(minutes=7))
    assert ledger.count("demo", NOW - timedelta(hours=1), NOW + timedelta(hours=1)).total == 1
