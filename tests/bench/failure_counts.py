"""Read units of a 7-day failure count with 10 and with 100,000 recorded failures (must be flat)."""

from __future__ import annotations

import os
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from tally.ops.buckets import Granularity
from tally.ops.kinds import OpsKind
from tally.ops.ledger import DynamoFailureLedger, Failure, bucket_key, entry_item

NOW = datetime(2026, 11, 25, 12, 34, 56, 789_000, tzinfo=UTC)


def load(client: Any, table: str, org: str, n: int, seed: int) -> None:
    """Store n failures spread over the last 7 days exactly as the recorder stores them, in bulk."""
    rng = random.Random(seed)
    buckets: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if batch:
            client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in batch]})
            batch.clear()

    for i in range(n):
        at = NOW - timedelta(milliseconds=rng.randrange(7 * 86400 * 1000))
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)
        failure = Failure(f"f{i}", org, rng.choice(list(OpsKind)), "bench", "boom", at)
        batch.append(entry_item(failure))
        for granularity in Granularity:
            key = bucket_key(org, granularity, at)
            buckets[(key["pk"]["S"], key["sk"]["S"], org)][f"k_{failure.kind.value}"] += 1
        if len(batch) == 25:
            flush()
    for (pk, sk, _), counts in buckets.items():
        batch.append({"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"N": str(v)} for k, v in counts.items()},
                      "expires_at": {"N": "4000000000"}})
        if len(batch) == 25:
            flush()
    flush()


def run() -> list[dict[str, Any]]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    from moto import mock_aws

    from tally_dev.template import create_tables, load_template

    with mock_aws():
        import boto3

        client = boto3.client("dynamodb")
        table = create_tables(client, load_template(), "bench")["OpsTable"]
        ledger = DynamoFailureLedger(table, client)
        results = {}
        for org, n in (("small", 10), ("large", 100_000)):
            load(client, table, org, n, seed=n)
            tally = ledger.count(org, NOW - timedelta(days=7), NOW + timedelta(milliseconds=1))
            assert tally.total == n, f"count {tally.total} != {n} recorded"
            results[n] = tally
    small, large = results[10], results[100_000]
    ratio = large.read_units / small.read_units
    return [
        {"name": "failure_count_7d.read_units.10_failures", "value": small.read_units, "unit": "RCU",
         "items_read": small.items_read, "budget": "", "ok": None},
        {"name": "failure_count_7d.read_units.100000_failures", "value": large.read_units, "unit": "RCU",
         "items_read": large.items_read, "budget": "<= ~170 items",
         "ok": large.items_read <= 59 + 23 + 7 + 23 + 59 + 60},
        {"name": "failure_count_7d.read_units.ratio_100000_vs_10", "value": round(ratio, 2), "unit": "x",
         "budget": "flat (bounded by bucket count)", "baseline": "10 failures, same run",
         "ok": large.items_read <= 230},
    ]
