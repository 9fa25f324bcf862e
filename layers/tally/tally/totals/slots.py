"""Web analytics' share of the platform totals, kept per 15-minute slot of UTC time and replaced on reseal.

Why slots: a sealed hour is resealed when late events change it, and after a site changes time
zone its time is sealed again in the new zone's hours, which need not line up with the old ones
(Berlin's hours start at :00 UTC, Kolkata's at :30, Lord Howe's change length with DST). Adding
each sealed hour's figures would count the same events once per zone. Pageviews count at their own
instant and a visit's duration at its first event's, so what a stretch of time adds is the same in
every zone; every zone offset in use is a multiple of 15 minutes, so every zone's hour is made of
whole 15-minute slots. A seal *replaces* the slots its hour covers, and the shards receive the
difference, both in one transaction: the totals are the sum of the slots' current values, once,
whatever the zone, the reseals, retries and replays.

Records: one item per (source, UTC hour), `pk = contribution#<source>`, `sk = <hour ms>`, holding
`s` (slot start ms -> [pageviews, visit ms]) and `n` (how many times it was written). A writer
reads the records of its hour *before* it reads the raw events, and swaps them conditionally on
`n`: a swap commits only if nobody wrote since that read, so among the seals that commit, the
later one has read the raw events later — a slow seal holding an older view never overwrites a
newer one (it is refused and its bucket sealed again).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tally.totals.counters import Totals

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from tally.totals.store import DynamoTotals

SLOT_MS = 15 * 60_000
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class SlotValue:
    pageviews: int = 0
    visit_ms: int = 0

    def __add__(self, other: SlotValue) -> SlotValue:
        return SlotValue(self.pageviews + other.pageviews, self.visit_ms + other.visit_ms)


@dataclass(frozen=True)
class SlotRecord:
    """One source's slots in one UTC hour, as read (`writes == 0`: not stored yet)."""

    hour_ms: int
    slots: Mapping[int, SlotValue] = field(default_factory=dict)
    writes: int = 0


@dataclass(frozen=True)
class SlotClaim:
    """What a writer read before computing [start_ms, end_ms): the records it will swap."""

    source: str
    start_ms: int
    end_ms: int
    records: Mapping[int, SlotRecord]


def slot_of(ts_ms: int) -> int:
    return ts_ms - ts_ms % SLOT_MS


def check_aligned(start_ms: int, end_ms: int) -> None:
    if start_ms % SLOT_MS or end_ms % SLOT_MS or end_ms <= start_ms:
        raise ValueError(f"[{start_ms}, {end_ms}) is not made of whole 15-minute slots")


def utc_hours(start_ms: int, end_ms: int) -> list[int]:
    first = start_ms - start_ms % HOUR_MS
    return list(range(first, end_ms, HOUR_MS))


def _key(source: str, hour_ms: int) -> dict[str, Any]:
    return {"pk": {"S": f"contribution#{source}"}, "sk": {"S": f"{hour_ms:013d}"}}


def _record(item: Mapping[str, Any]) -> SlotRecord:
    slots = {int(start): SlotValue(*(int(n["N"]) for n in value["L"]))
             for start, value in item.get("s", {}).get("M", {}).items()}
    return SlotRecord(int(item["sk"]["S"]), slots, int(item["n"]["N"]))


class SlotTotals:
    """The slot records of the platform totals, next to its shards (see the module docstring)."""

    def __init__(self, totals: DynamoTotals) -> None:
        self.totals = totals

    @property
    def table_name(self) -> str:
        return self.totals.table_name

    def claim(self, source: str, start_ms: int, end_ms: int) -> SlotClaim:
        """Read the records [start_ms, end_ms) touches, strongly consistent (before the raw events)."""
        return self.claim_many(source, [(start_ms, end_ms)])[(start_ms, end_ms)]

    def claim_many(self, source: str, spans: Iterable[tuple[int, int]]) -> dict[tuple[int, int], SlotClaim]:
        """`claim` for many spans of one source, in batches of 100 keys."""
        spans = list(spans)
        for start, end in spans:
            check_aligned(start, end)
        hours = sorted({h for start, end in spans for h in utc_hours(start, end)})
        found: dict[int, SlotRecord] = {}
        client = self.totals.client
        for first in range(0, len(hours), 100):
            keys: list[Any] = [_key(source, h) for h in hours[first:first + 100]]
            while keys:
                response = client.batch_get_item(
                    RequestItems={self.table_name: {"Keys": keys, "ConsistentRead": True}})
                for item in response.get("Responses", {}).get(self.table_name, []):
                    record = _record(item)
                    found[record.hour_ms] = record
                unprocessed: Any = response.get("UnprocessedKeys", {})
                keys = list(unprocessed.get(self.table_name, {}).get("Keys", []))
        return {(start, end): SlotClaim(source, start, end,
                                        {h: found.get(h, SlotRecord(h)) for h in utc_hours(start, end)})
                for start, end in spans}

    def swap_items(self, claims: Iterable[tuple[SlotClaim, Mapping[int, SlotValue]]]) -> list[TransactWriteItemTypeDef]:
        """The transaction items that replace each claim's slots with `values` (slot start -> value;
        a slot of the span missing from it is empty) and add the difference to a shard.

        Claims of one source may share a UTC hour (two Kolkata hours share one): their records are
        merged into one swap. Each record swaps on the `n` it was read with.
        """
        merged: dict[tuple[str, int], tuple[SlotRecord, dict[int, SlotValue]]] = {}
        delta = SlotValue()
        source_key = ""
        for claim, values in claims:
            for start in values:
                if not claim.start_ms <= start < claim.end_ms or start % SLOT_MS:
                    raise ValueError(f"slot {start} is not one of [{claim.start_ms}, {claim.end_ms})")
            source_key = source_key or f"{claim.source}#{claim.start_ms}"
            for hour, record in claim.records.items():
                _, slots = merged.setdefault((claim.source, hour), (record, dict(record.slots)))
                for start in range(max(hour, claim.start_ms), min(hour + HOUR_MS, claim.end_ms), SLOT_MS):
                    old = slots.pop(start, SlotValue())
                    new = values.get(start, SlotValue())
                    delta = delta + SlotValue(new.pageviews - old.pageviews, new.visit_ms - old.visit_ms)
                    if new != SlotValue():
                        slots[start] = new
        items: list[TransactWriteItemTypeDef] = []
        for (source, hour), (record, slots) in merged.items():
            item = {**_key(source, hour), "n": {"N": str(record.writes + 1)},
                    "s": {"M": {str(start): {"L": [{"N": str(v.pageviews)}, {"N": str(v.visit_ms)}]}
                                for start, v in sorted(slots.items())}}}
            if record.writes:
                put: TransactWriteItemTypeDef = {"Put": {
                    "TableName": self.table_name, "Item": item, "ConditionExpression": "n = :n",
                    "ExpressionAttributeValues": {":n": {"N": str(record.writes)}}}}
            else:
                put = {"Put": {"TableName": self.table_name, "Item": item,
                               "ConditionExpression": "attribute_not_exists(pk)"}}
            items.append(put)
        increment = self.totals.increment(source_key, Totals(pageviews=delta.pageviews, visit_ms=delta.visit_ms))
        return items if increment is None else [*items, increment]


def record_total(records: Iterable[Mapping[str, Any]]) -> Totals:
    """The sum of stored slot records' items (for checks: the shards hold the same sum)."""
    total = SlotValue()
    for item in records:
        for value in _record(item).slots.values():
            total = total + value
    return Totals(pageviews=total.pageviews, visit_ms=total.visit_ms)
