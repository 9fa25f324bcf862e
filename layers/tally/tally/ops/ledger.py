"""The failure ledger: one entry per failed operation, plus minute/hour/day counters kept with it.

An entry and its three counter increments are written in one DynamoDB transaction whose first
item is a conditional put of a claim on the failure id: a retried recording (same failure id,
whenever it is reported) is refused as a whole, so the counters equal a brute-force count of the
entries under any retries or concurrency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from tally.ops.buckets import BucketRange, EdgeSlice, Granularity, plan_window
from tally.ops.kinds import OpsKind
from tally.platform.aws import DynamoTable, transact_write
from tally.platform.capacity import query_read_units

#: Entries and buckets outlive the longest window (7 days) by a margin, then DynamoDB's TTL drops them.
RETENTION = timedelta(days=9)
_MAX_MESSAGE = 500


@dataclass(frozen=True)
class Failure:
    failure_id: str
    org_id: str
    kind: OpsKind
    operation: str
    message: str
    at: datetime


@dataclass
class Tally:
    """Counts read for one window: the total and the count of each kind."""

    by_kind: dict[OpsKind, int] = field(default_factory=lambda: {k: 0 for k in OpsKind})
    items_read: int = 0
    read_units: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


class FailureLedger(Protocol):
    def record(self, failure: Failure) -> bool:
        """Store the failure once; False when this failure id was already recorded."""
        ...

    def count(self, org_id: str, start: datetime, end: datetime) -> Tally:
        """Failures of `org_id` with `start <= at < end`, by kind."""
        ...


def _bucket_pk(org_id: str, granularity: Granularity) -> str:
    return f"{org_id}#B#{granularity.value}"


def _entry_pk(org_id: str, at: datetime) -> str:
    return f"{org_id}#F#{Granularity.minute.key(at)}"


def _entry_sk(at: datetime, failure_id: str) -> str:
    return f"{_millis(at):013d}#{failure_id}"


def _millis(at: datetime) -> int:
    return int(at.astimezone(UTC).timestamp() * 1000)


def entry_item(failure: Failure) -> dict[str, Any]:
    """The ledger entry of one failure, as stored (DynamoDB attribute values)."""
    return {
        "pk": {"S": _entry_pk(failure.org_id, failure.at)},
        "sk": {"S": _entry_sk(failure.at, failure.failure_id)},
        "kind": {"S": failure.kind.value},
        "operation": {"S": failure.operation[:200]},
        "message": {"S": failure.message[:_MAX_MESSAGE] or "-"},
        "at": {"S": failure.at.astimezone(UTC).isoformat()},
        "expires_at": {"N": str(int((failure.at + RETENTION).timestamp()))},
    }


def bucket_key(org_id: str, granularity: Granularity, at: datetime) -> dict[str, Any]:
    return {"pk": {"S": _bucket_pk(org_id, granularity)}, "sk": {"S": granularity.key(at)}}


def _ceil_millis(at: datetime) -> int:
    micros = int(at.astimezone(UTC).timestamp() * 1_000_000)
    return -(-micros // 1000)


def _add_counts(tally: Tally, item: Mapping[str, Any]) -> None:
    for kind in OpsKind:
        tally.by_kind[kind] += int(item.get(f"k_{kind.value}", 0))


class DynamoFailureLedger(DynamoTable):
    """The ledger in one DynamoDB table (`pk`, `sk`, TTL on `expires_at`)."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        super().__init__(table_name, client)

    def record(self, failure: Failure) -> bool:
        entry = entry_item(failure)
        expires = entry["expires_at"]
        # The claim is keyed by the failure id alone, so a failure reported again later (another
        # timestamp, another minute) is still refused whole: it counts once.
        claim = {"pk": {"S": f"{failure.org_id}#C#{failure.failure_id}"}, "sk": {"S": "claim"},
                 "expires_at": expires}
        items: list[dict[str, Any]] = [
            {"Put": {"TableName": self.table_name, "Item": claim,
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self.table_name, "Item": entry}},
        ]
        for granularity in Granularity:
            items.append({"Update": {
                "TableName": self.table_name,
                "Key": bucket_key(failure.org_id, granularity, failure.at),
                "UpdateExpression": "ADD #kind :one SET expires_at = :expires",
                "ExpressionAttributeNames": {"#kind": f"k_{failure.kind.value}"},
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":expires": expires},
            }})
        # A refused claim (index 0) means this failure id was recorded before: it counts once.
        reasons = transact_write(self.client, items)
        return reasons is None

    def count(self, org_id: str, start: datetime, end: datetime) -> Tally:
        tally = Tally()
        plan = plan_window(start, end)
        for bucket_range in plan.ranges:
            self._count_range(org_id, bucket_range, tally)
        for edge in plan.edges:
            self._count_edge(org_id, edge, tally)
        return tally

    def _query(self, tally: Tally, **kwargs: Any) -> Iterable[dict[str, Any]]:
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(TableName=self.table_name, ConsistentRead=True, **kwargs):
            items = page.get("Items", [])
            tally.items_read += len(items)
            # Whole items are fetched (no projection), so their sizes are what DynamoDB charges for.
            tally.read_units += query_read_units(items)
            yield from items

    def _count_range(self, org_id: str, bucket_range: BucketRange, tally: Tally) -> None:
        items = self._query(
            tally,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues={":pk": {"S": _bucket_pk(org_id, bucket_range.granularity)},
                                       ":first": {"S": bucket_range.first_key},
                                       ":last": {"S": bucket_range.last_key}},
        )
        for item in items:
            _add_counts(tally, {k: v["N"] for k, v in item.items() if "N" in v})

    def _count_edge(self, org_id: str, edge: EdgeSlice, tally: Tally) -> None:
        # Entries are stored at millisecond precision, so the bounds round up to the next millisecond.
        first_ms, last_ms = _ceil_millis(edge.start), _ceil_millis(edge.end) - 1
        items = self._query(
            tally,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues={":pk": {"S": _entry_pk(org_id, edge.start)},
                                       ":first": {"S": f"{first_ms:013d}#"},
                                       ":last": {"S": f"{last_ms:013d}#\U0010ffff"}},
        )
        for item in items:
            tally.by_kind[OpsKind(item["kind"]["S"])] += 1


class InMemoryFailureLedger:
    """The same ledger semantics in memory, for logic tests. Counts use the same window plan."""

    def __init__(self) -> None:
        self.entries: dict[str, Failure] = {}
        self.buckets: dict[tuple[str, Granularity, str], dict[OpsKind, int]] = {}

    def record(self, failure: Failure) -> bool:
        key = f"{failure.org_id}/{failure.failure_id}"
        if key in self.entries:
            return False
        self.entries[key] = failure
        for granularity in Granularity:
            bucket = self.buckets.setdefault((failure.org_id, granularity, granularity.key(failure.at)), {})
            bucket[failure.kind] = bucket.get(failure.kind, 0) + 1
        return True

    def count(self, org_id: str, start: datetime, end: datetime) -> Tally:
        tally = Tally()
        plan = plan_window(start, end)
        for r in plan.ranges:
            for (org, granularity, key), counts in self.buckets.items():
                if org == org_id and granularity is r.granularity and r.first_key <= key <= r.last_key:
                    tally.items_read += 1
                    for kind, n in counts.items():
                        tally.by_kind[kind] += n
        for edge in plan.edges:
            for failure in self.entries.values():
                if failure.org_id == org_id and edge.start <= failure.at < edge.end:
                    tally.items_read += 1
                    tally.by_kind[failure.kind] += 1
        return tally
