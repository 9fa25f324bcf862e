"""Dirty marks: which buckets need (re)sealing, and the version each was last sealed at.

One small item per (site, grain, bucket): `ver` counts the changes seen (never reset, so seal
versions only grow), `sealed` is the version of the stored rollup, and while `ver > sealed` the
item carries `due`/`due_at`, which a sparse index (`ByDue`) lists for the sealer.

`tz` is the zone of the bucket (the site's when it was marked). After the site changes zone, the
re-bucketing job (tally.web.aggregate.rebucket) marks the new zone's buckets that overlap an old
one and records on the old mark that its version `rv` was carried into zone `rz`.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from tally.platform.aws import DynamoTable
from tally.web.aggregate.zones import Grain

SHARDS = 4
DUE_INDEX = "ByDue"


@dataclass(frozen=True)
class Mark:
    site_id: str
    grain: Grain
    start_ms: int
    tz: str
    version: int
    sealed: int
    #: When the bucket is due for sealing (None: nothing to seal).
    due_at: int | None = None
    #: The zone this bucket's changes were carried into by re-bucketing, and up to which version.
    rebucketed_to: str | None = None
    rebucketed_at: int = 0

    def carried_into(self, zone: str) -> bool:
        """Whether every change of this (old-zone) bucket was carried into `zone`'s buckets."""
        return self.rebucketed_to == zone and self.rebucketed_at == self.version


def _key(site_id: str, grain: Grain, start_ms: int) -> dict[str, Any]:
    return {"pk": {"S": f"mark#{site_id}"}, "sk": {"S": f"{grain.value}#{start_ms:013d}"}}


def _shard(grain: Grain, site_id: str) -> str:
    return f"{grain.value}{zlib.crc32(site_id.encode()) % SHARDS}"


def _mark(item: dict[str, Any]) -> Mark:
    grain, start = item["sk"]["S"].split("#")
    return Mark(site_id=item["pk"]["S"].removeprefix("mark#"), grain=Grain(grain), start_ms=int(start),
                tz=item["tz"]["S"], version=int(item["ver"]["N"]), sealed=int(item.get("sealed", {"N": "0"})["N"]),
                due_at=int(item["due_at"]["N"]) if "due_at" in item else None,
                rebucketed_to=item.get("rz", {}).get("S"), rebucketed_at=int(item.get("rv", {"N": "0"})["N"]))


def mark_pages(client: Any, table_name: str, site_id: str, grain: Grain, start_ms: int, end_ms: int, *,
               projection: str | None = None) -> Iterator[list[dict[str, Any]]]:
    """Query pages of a site's marks of `grain` starting in [start_ms, end_ms), strongly consistent."""
    if end_ms <= start_ms:
        return
    first, last = _key(site_id, grain, start_ms), _key(site_id, grain, end_ms - 1)
    query: dict[str, Any] = {
        "TableName": table_name, "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":pk": first["pk"], ":a": first["sk"], ":b": last["sk"]},
    }
    if projection is not None:
        query["ProjectionExpression"] = projection
    for page in client.get_paginator("query").paginate(**query):
        yield page.get("Items", [])


class DirtyMarks(DynamoTable):
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        super().__init__(table_name, client)
        self.writes = 0

    def touch(self, site_id: str, tz: str, grain: Grain, start_ms: int, due_at_ms: int, *,
              batch: str | None = None) -> int:
        """Record that a bucket changed; it becomes due at `due_at_ms` (or earlier if already due).
        `batch`: the import batch this touch follows (see `tally.web.aggregate.marking.Aggregator`).

        Returns the bucket's actual due time.
        """
        values = {":tz": {"S": tz}, ":due": {"S": _shard(grain, site_id)}, ":at": {"N": str(due_at_ms)},
                  ":one": {"N": "1"}}
        update = "SET tz = :tz, #due = :due, due_at = if_not_exists(due_at, :at)"
        if batch is not None:
            update += ", lb = :lb"
            values[":lb"] = {"S": batch}
        response = self.client.update_item(
            TableName=self.table_name, Key=_key(site_id, grain, start_ms),
            UpdateExpression=update + " ADD ver :one", ExpressionAttributeNames={"#due": "due"},
            ExpressionAttributeValues=values, ReturnValues="ALL_NEW",
        )
        self.writes += 1
        return int(response["Attributes"]["due_at"]["N"])

    def batches(self, keys: Sequence[tuple[str, Grain, int]]) -> dict[tuple[str, Grain, int], str]:
        """The import batch that last touched each bucket, where one did (reads of up to 100 marks).

        Eventually consistent is enough: a read can only show a batch that did touch the bucket."""
        found: dict[tuple[str, Grain, int], str] = {}
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {self.table_name: {
                "Keys": [_key(*key) for key in keys[start:start + 100]], "ProjectionExpression": "pk, sk, lb"}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table_name, []):
                    if "lb" in item:
                        grain, bucket = item["sk"]["S"].split("#")
                        found[(item["pk"]["S"].removeprefix("mark#"), Grain(grain), int(bucket))] = item["lb"]["S"]
                request = response.get("UnprocessedKeys") or {}
        return found

    def due(self, grain: Grain, now_ms: int, limit: int) -> list[Mark]:
        marks: list[Mark] = []
        for shard in range(SHARDS):
            response = self.client.query(
                TableName=self.table_name, IndexName=DUE_INDEX, Limit=limit,
                KeyConditionExpression="#due = :due AND due_at <= :now",
                ExpressionAttributeNames={"#due": "due"},
                ExpressionAttributeValues={":due": {"S": f"{grain.value}{shard}"}, ":now": {"N": str(now_ms)}},
            )
            marks.extend(_mark(i) for i in response.get("Items", []))
        return sorted(marks, key=lambda m: (m.start_ms, m.site_id))[:limit]

    def get(self, site_id: str, grain: Grain, start_ms: int) -> Mark | None:
        item = self.client.get_item(TableName=self.table_name, Key=_key(site_id, grain, start_ms),
                                    ConsistentRead=True).get("Item")
        return _mark(item) if item else None

    def states(self, site_id: str, grain: Grain, start_ms: int, end_ms: int) -> list[Mark]:
        """The marks of the buckets of `grain` starting in [start_ms, end_ms), strongly consistent."""
        return [_mark(item) for page in mark_pages(self.client, self.table_name, site_id, grain, start_ms, end_ms)
                for item in page]

    def any_unsealed(self, site_id: str, grain: Grain, start_ms: int, end_ms: int) -> bool:
        """Whether a bucket in [start_ms, end_ms) changed since its last seal (or was never sealed)."""
        return any(m.version > m.sealed for m in self.states(site_id, grain, start_ms, end_ms))

    def settle(self, mark: Mark, counts: tuple[int, ...] | None = None) -> bool:
        """Mark the bucket sealed at `mark.version`; False when newer changes arrived meanwhile.

        `counts` (a day's counters) are kept on the mark with the version they belong to, so a range
        read sums sealed days from the marks it reads anyway instead of reading each day's rollup.
        """
        try:
            self.client.update_item(TableName=self.table_name, **self._settling(mark, counts))
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        self.writes += 1
        return True

    def settle_many(self, settled: Sequence[tuple[Mark, tuple[int, ...] | None]]) -> int:
        """`settle` for many marks in transactions of up to 100 (a backfill); returns how many settled.

        A transaction is refused whole when one mark changed meanwhile: its marks are then settled
        one by one, so exactly the changed ones stay due.
        """
        from tally.platform.aws import transact_write

        done = 0
        for start in range(0, len(settled), 100):
            chunk = settled[start:start + 100]
            updates = [{"Update": {"TableName": self.table_name, **self._settling(mark, counts)}}
                       for mark, counts in chunk]
            if transact_write(self.client, updates) is None:
                self.writes += 2 * len(chunk)  # a transaction costs double
                done += len(chunk)
            else:
                done += sum(self.settle(mark, counts) for mark, counts in chunk)
        return done

    def _settling(self, mark: Mark, counts: tuple[int, ...] | None) -> dict[str, Any]:
        """The conditional update that settles `mark` at its version (with a day's counters)."""
        values: dict[str, Any] = {":v": {"N": str(mark.version)}}
        update = "SET sealed = :v"
        if counts is not None:
            update += ", c = :c"
            values[":c"] = {"L": [{"N": str(n)} for n in counts]}
        return {"Key": _key(mark.site_id, mark.grain, mark.start_ms),
                "UpdateExpression": update + " REMOVE #due, due_at", "ConditionExpression": "ver = :v",
                "ExpressionAttributeNames": {"#due": "due"},
                "ExpressionAttributeValues": values}

    def carried(self, mark: Mark, zone: str) -> bool:
        """Record that the bucket's changes up to `mark.version` are carried into `zone`'s buckets;
        False when it changed meanwhile (it is then carried again)."""
        try:
            self.client.update_item(
                TableName=self.table_name, Key=_key(mark.site_id, mark.grain, mark.start_ms),
                UpdateExpression="SET rz = :z, rv = :v", ConditionExpression="ver = :v",
                ExpressionAttributeValues={":z": {"S": zone}, ":v": {"N": str(mark.version)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        self.writes += 1
        return True

    def page(self, site_id: str, grain: Grain, before: str | None, limit: int) -> tuple[list[Mark], bool]:
        """Up to `limit` of a site's marks of `grain`, newest first, from before the sort key `before`;
        and whether more follow."""
        query: dict[str, Any] = {
            "TableName": self.table_name, "ConsistentRead": True, "Limit": limit, "ScanIndexForward": False,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":pk": {"S": f"mark#{site_id}"}, ":a": {"S": f"{grain.value}#"},
                                          ":b": {"S": f"{grain.value}#~"}},
        }
        if before is not None:
            query["ExclusiveStartKey"] = {"pk": {"S": f"mark#{site_id}"}, "sk": {"S": before}}
        response = self.client.query(**query)
        return [_mark(item) for item in response.get("Items", [])], "LastEvaluatedKey" in response

    def oldest_start(self, site_id: str, grain: Grain) -> int | None:
        """The start of a site's oldest bucket of `grain` that has a mark (one key read), if any."""
        response = self.client.query(
            TableName=self.table_name, Limit=1, ProjectionExpression="sk",
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={":pk": {"S": f"mark#{site_id}"}, ":a": {"S": f"{grain.value}#"},
                                       ":b": {"S": f"{grain.value}#~"}},
        )
        items = response.get("Items", [])
        return int(items[0]["sk"]["S"].split("#")[1]) if items else None

    def postpone(self, mark: Mark, due_at_ms: int) -> None:
        # ConditionalCheckFailed: another run sealed it meanwhile, which is fine.
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table_name, Key=_key(mark.site_id, mark.grain, mark.start_ms),
                UpdateExpression="SET due_at = :at", ConditionExpression="attribute_exists(#due)",
                ExpressionAttributeNames={"#due": "due"}, ExpressionAttributeValues={":at": {"N": str(due_at_ms)}},
            )
