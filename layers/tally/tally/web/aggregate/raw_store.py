"""Raw events in DynamoDB, under deterministic keys, kept for the site's retention (TTL).

Key: `pk = <site>#<UTC hour>`, `sk = <ts_ms>#<event id>`. The same event delivered twice lands on
the same key, so storing is idempotent; a live event that carries a client `id` (its timestamp is
the time of receipt, so a retry would get a new key) is deduplicated by a short-lived claim item
written in the same transaction. Attribute names are one or two letters: a raw event stays well
under 1 KB, one write unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from tally.platform.aws import DynamoTable, transact_write
from tally.platform.capacity import item_size, query_read_units
from tally.web.aggregate.events import RawEvent

HOUR_MS = 3_600_000
#: The attribute naming the import call that stored the event and then marked its buckets.
BATCH = "ib"
DEDUPE_TTL_S = 86_400
_OPTIONAL = {"r": "referrer", "us": "utm_source", "um": "utm_medium", "uc": "utm_campaign", "c": "country",
             "d": "device", "b": "browser", "o": "os"}


def partition(site_id: str, ts_ms: int) -> str:
    return f"{site_id}#{datetime.fromtimestamp(ts_ms / 1000, UTC).strftime('%Y%m%d%H')}"


def sort_key(event: RawEvent) -> str:
    return f"{event.ts_ms:013d}#{event.event_id}"


def to_item(event: RawEvent, expires_at: int, tz: str = "UTC", batch: str | None = None) -> dict[str, Any]:
    """The stored item; it carries the site's time zone so that aggregation needs no site lookup, and
    an import's `batch` id (see `tally.web.aggregate.marking.Aggregator`)."""
    item: dict[str, Any] = {
        "pk": {"S": partition(event.site_id, event.ts_ms)},
        "sk": {"S": sort_key(event)},
        "n": {"S": event.name},
        "v": {"S": event.visitor},
        "p": {"S": event.page},
        "s": {"S": event.source},
        "x": {"N": str(expires_at)},
        "z": {"S": tz},
    }
    if batch is not None:
        item[BATCH] = {"S": batch}
    if event.alt_visitor:
        item["a"] = {"S": event.alt_visitor}
    if not event.interactive:
        item["i"] = {"BOOL": False}
    for short, name in _OPTIONAL.items():
        value = getattr(event, name)
        if value:
            item[short] = {"S": value}
    if event.props:
        item["pr"] = {"M": {k: {"S": v} for k, v in event.props}}
    return item


def from_item(item: dict[str, Any]) -> RawEvent:
    site_id = item["pk"]["S"].rsplit("#", 1)[0]
    ts, event_id = item["sk"]["S"].split("#", 1)
    optional = {name: item[short]["S"] for short, name in _OPTIONAL.items() if short in item}
    return RawEvent(
        event_id=event_id, site_id=site_id, ts_ms=int(ts), name=item["n"]["S"], visitor=item["v"]["S"],
        page=item["p"]["S"], alt_visitor=item.get("a", {}).get("S"), interactive="i" not in item,
        source=item["s"]["S"], props=tuple(sorted((k, v["S"]) for k, v in item.get("pr", {}).get("M", {}).items())),
        **optional,
    )


class RawEventStore(DynamoTable):
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        super().__init__(table_name, client)
        self.write_units = 0.0
        self.read_units = 0.0

    def put(self, event: RawEvent, expires_at: int, *, tz: str = "UTC", client_id: str | None = None) -> bool:
        """Store one live event; False when it was already stored (a retry)."""
        item = to_item(event, expires_at, tz)
        if client_id is None:
            try:
                self.client.put_item(TableName=self.table_name, Item=item,
                                     ConditionExpression="attribute_not_exists(pk)")
            except self.client.exceptions.ConditionalCheckFailedException:
                return False
            self.write_units += _write_units(item)
            return True
        claim = {"pk": {"S": f"{event.site_id}#id"}, "sk": {"S": client_id},
                 "x": {"N": str(int(event.ts_ms / 1000) + DEDUPE_TTL_S)}}
        if transact_write(self.client, [
            {"Put": {"TableName": self.table_name, "Item": claim, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self.table_name, "Item": item}},
        ]) is not None:
            return False  # the client id was claimed before: a retry
        self.write_units += 2 * (_write_units(item) + _write_units(claim))  # transactions cost double
        return True

    def put_many(self, events: Iterable[tuple[RawEvent, int]], tz: str = "UTC", batch: str | None = None) -> int:
        """Store historic events (imports) in batches; re-sending the same event rewrites the same key.
        `batch`: the id with which the caller marks the events' buckets once they are all stored."""
        items = [to_item(event, expires, tz, batch) for event, expires in events]
        written = 0
        for start in range(0, len(items), 25):
            chunk = {self.table_name: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
            for attempt in range(10):
                response = self.client.batch_write_item(RequestItems=chunk)
                chunk = response.get("UnprocessedItems") or {}
                if not chunk:
                    break
                if attempt == 9:
                    raise RuntimeError("DynamoDB kept items unprocessed")
            written += len(items[start:start + 25])
        self.write_units += sum(_write_units(i) for i in items)
        return written

    def window(self, site_id: str, start_ms: int, end_ms: int, *, newest_first: bool = False) -> Iterator[RawEvent]:
        """Events of a site with start_ms <= ts < end_ms, in time order (or the reverse), page by page."""
        hours = list(range(start_ms - start_ms % HOUR_MS, end_ms, HOUR_MS))
        for hour in reversed(hours) if newest_first else hours:
            paginator = self.client.get_paginator("query")
            for page in paginator.paginate(
                TableName=self.table_name, ConsistentRead=True, ScanIndexForward=not newest_first,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                ExpressionAttributeValues={":pk": {"S": partition(site_id, hour)},
                                           ":a": {"S": f"{max(start_ms, hour):013d}#"},
                                           ":b": {"S": f"{min(end_ms, hour + HOUR_MS) - 1:013d}#\U0010ffff"}},
            ):
                items = page.get("Items", [])
                self.read_units += query_read_units(items)
                for item in items:
                    yield from_item(item)


def _write_units(item: dict[str, Any]) -> float:
    return float(-(-item_size(item) // 1024))
