"""Rollups in DynamoDB: one item per (site, grain, dimension, bucket), split in parts when large.

`pk = <site>#<grain>`, `sk = <dimension>#<bucket start ms>#<part>`; `_total` is the dimension of
the bucket's totals, which also carries the bucket's fingerprint and the list of its dimensions.
Minutes are packed: one item per hour holds that hour's minute rollups (`pk = <site>#m`).
Every item carries the seal version it was computed from, and a write is conditional on not
going backwards (`ver <= mine`): a slow sealer holding an older view can never overwrite a newer one.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from tally.platform.aws import DynamoTable
from tally.platform.capacity import item_size
from tally.web.aggregate.rollup import Rollup, Stats
from tally.web.aggregate.sketch import VisitorSketch
from tally.web.aggregate.zones import Grain

TOTAL = "_total"
MINUTES = "_minutes"
PART_BYTES = 300_000  # stay well under DynamoDB's 400 KB item limit
TRANSACTION_ITEMS = 100  # DynamoDB's limits of one TransactWriteItems
TRANSACTION_BYTES = 3_500_000  # of 4 MB, with room for the request's own overhead


class StaleSeal(Exception):
    """A newer seal of this bucket was written meanwhile; this sealer's view is out of date."""


def fingerprint(rollup: Rollup) -> str:
    """A digest of everything a reader sees (counts and visitor estimates), to tell if a reseal changed it."""
    view = {"t": [*rollup.totals.counts(), rollup.totals.visitors.estimate()],
            "d": {name: sorted([v, *s.counts(), s.visitors.estimate()] for v, s in values.items())
                  for name, values in sorted(rollup.dims.items())}}
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()[:32]


def _stats_value(stats: Stats) -> dict[str, Any]:
    return {"L": [*({"N": str(n)} for n in stats.counts()), {"B": stats.visitors.to_bytes()}]}


def _stats_from(value: dict[str, Any]) -> Stats:
    *counts, sketch = value["L"]
    pv, ev, vi, bo, du = (int(c["N"]) for c in counts)
    return Stats(pv, ev, vi, bo, du, VisitorSketch.from_bytes(bytes(sketch["B"])))


def _items(rollup: Rollup, minutes: Iterable[Rollup]) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, int]]:
    """A sealed rollup's items (without their `ver`): its dimension parts and packed minutes, its
    totals item, and how many parts each dimension has."""
    pk = f"{rollup.site_id}#{rollup.grain.value}"
    items: list[dict[str, Any]] = []
    dims: dict[str, int] = {}
    for name, values in sorted(rollup.dims.items()):
        parts = _parts(values)
        dims[name] = len(parts)
        items += [{"pk": {"S": pk}, "sk": {"S": f"{name}#{rollup.start_ms:013d}#{index}"}, "vals": {"M": part}}
                  for index, part in enumerate(parts)]
    minute_list = list(minutes)
    if minute_list:
        packed = {str(m.start_ms): _stats_value(m.totals) for m in minute_list}
        items.append({"pk": {"S": f"{rollup.site_id}#{Grain.minute.value}"},
                      "sk": {"S": f"{MINUTES}#{rollup.start_ms:013d}#0"}, "vals": {"M": packed}})
    total_item = {"pk": {"S": pk}, "sk": {"S": f"{TOTAL}#{rollup.start_ms:013d}#0"},
                  "end": {"N": str(rollup.end_ms)}, "fp": {"S": fingerprint(rollup)},
                  "dims": {"M": {k: {"N": str(v)} for k, v in dims.items()}},
                  "vals": {"M": {"all": _stats_value(rollup.totals)}}}
    return items, total_item, dims


def _source(site_id: str) -> str:
    """The platform totals' name for a site's web analytics slots."""
    return f"web#{site_id}"


def slot_values(hour: Rollup, minutes: Sequence[Rollup]) -> dict[int, Any]:
    """What the hour adds to the platform totals, per 15-minute slot (tally.totals.slots), from its
    minutes: pageviews at their own minute, a visit's duration at its first event's."""
    from tally.totals.slots import SlotValue, slot_of

    values: dict[int, SlotValue] = {}
    for minute in minutes:
        start = slot_of(minute.start_ms)
        values[start] = values.get(start, SlotValue()) + SlotValue(minute.totals.pageviews, minute.totals.duration_ms)
    if sum(v.pageviews for v in values.values()) != hour.totals.pageviews or \
            sum(v.visit_ms for v in values.values()) != hour.totals.duration_ms:
        raise ValueError(f"the minutes of hour {hour.start_ms} do not add up to it")
    return values


def _conditional_put(table_name: str, item: dict[str, Any], version: int, condition: str) -> dict[str, Any]:
    return {"Put": {"TableName": table_name, "Item": {**item, "ver": {"N": str(version)}},
                    "ConditionExpression": condition, "ExpressionAttributeValues": {":v": {"N": str(version)}}}}


T = TypeVar("T", bound=tuple[int, Any, Any])


def _transactions(entries: list[T], most: int) -> Iterator[list[T]]:
    """(size, …) `entries` in runs of at most `most` and TRANSACTION_BYTES (DynamoDB's limits per transaction)."""
    chunk: list[T] = []
    total = 0
    for entry in entries:
        weight = entry[0]
        if chunk and (len(chunk) == most or total + weight > TRANSACTION_BYTES):
            yield chunk
            chunk, total = [], 0
        chunk.append(entry)
        total += weight
    if chunk:
        yield chunk


def _parts(values: dict[str, Stats]) -> list[dict[str, dict[str, Any]]]:
    encoded = {value: _stats_value(stats) for value, stats in values.items()}
    size = sum(len(v.encode()) + len(s["L"][5]["B"]) + 40 for v, s in encoded.items())
    count = max(1, -(-size // PART_BYTES))
    parts: list[dict[str, dict[str, Any]]] = [{} for _ in range(count)]
    for value, stats in encoded.items():
        parts[zlib.crc32(value.encode()) % count][value] = stats
    return parts


class RollupStore(DynamoTable):
    """Rollup items; with `totals` (a tally.totals.store.DynamoTotals), every hour's seal also keeps
    the platform totals (public stats) exactly once: the hour's totals item and the 15-minute slots
    it covers (tally.totals.slots) are swapped in one transaction, the slots on what was read before
    the raw events (`claim`)."""

    def __init__(self, table_name: str, client: Any | None = None, *, totals: Any | None = None) -> None:
        super().__init__(table_name, client)
        self.totals = totals
        self.write_units = 0.0
        self.read_units = 0.0
        self.items_read = 0

    @property
    def _slots(self) -> Any:
        from tally.totals.slots import SlotTotals

        assert self.totals is not None
        return SlotTotals(self.totals)

    def claim(self, site_id: str, start_ms: int, end_ms: int) -> Any | None:
        """For the platform totals: read the slots of the hour [start_ms, end_ms), *before* the raw
        events its seal reads (so that a slower seal holding an older view is refused). None when
        this store keeps no totals."""
        return None if self.totals is None else self._slots.claim(_source(site_id), start_ms, end_ms)

    # -- writing ---------------------------------------------------------------------------------
    def write(self, rollup: Rollup, version: int, minutes: Iterable[Rollup] = (),
              claim: Any | None = None) -> str | None:
        """Store a sealed rollup (and, for an hour, its minutes) as computed at seal `version`;
        `claim`: what `claim` read before the raw events (read now when not given).

        Returns the fingerprint of the rollup it replaced (None when there was none).
        """
        pk = f"{rollup.site_id}#{rollup.grain.value}"
        stored = self._stored_total(pk, rollup.start_ms)
        previous = {k: int(v["N"]) for k, v in stored.get("dims", {}).get("M", {}).items()} if stored else {}
        minutes = list(minutes)
        parts, total_item, dims = _items(rollup, minutes)
        for item in parts:
            self._put(item, version)
        if self.totals is not None and rollup.grain is Grain.hour:
            claim = claim or self.claim(rollup.site_id, rollup.start_ms, rollup.end_ms)
            put = _conditional_put(self.table_name, total_item, version, "attribute_not_exists(ver) OR ver <= :v")
            self._transact([(item_size(total_item), rollup, put)],
                           self._slots.swap_items([(claim, slot_values(rollup, minutes))]))
        else:
            self._put(total_item, version)
        for name, count in previous.items():  # parts that no longer exist after this seal
            for index in range(dims.get(name, 0), count):
                self.client.delete_item(TableName=self.table_name,
                                        Key={"pk": {"S": pk}, "sk": {"S": f"{name}#{rollup.start_ms:013d}#{index}"}},
                                        ConditionExpression="attribute_not_exists(ver) OR ver <= :v",
                                        ExpressionAttributeValues={":v": {"N": str(version)}})
        return str(stored["fp"]["S"]) if stored else None

    def write_new(self, sealed: Sequence[tuple[Rollup, int, Sequence[Rollup]]]) -> None:
        """Store many rollups never stored before — (rollup, seal version, minutes) — in few round trips.

        For a backfill (a month of imported history) while no other sealer runs: `write` costs a
        read and a write per item and a transaction per hour; here every item goes in transactions
        of up to 100 with the same conditions, parts first and totals items last (a reader takes a
        bucket by its totals item), then the hours' slots of the platform totals, swapped on what
        was read just before, with their difference, in transactions of under 100 records: counted
        exactly once, as by `write`. Raises StaleSeal when a transaction is refused (a bucket was
        stored meanwhile); what was written before stays valid, and a bucket stored but not counted
        stays unsealed (its mark is settled after this), so the sealer seals it again.
        """
        parts: list[tuple[int, Rollup, Any]] = []  # (item size, rollup, its transaction item)
        totals: list[tuple[int, Rollup, Any]] = []
        newer_or_same = "attribute_not_exists(ver) OR ver <= :v"
        for rollup, version, minutes in sealed:
            part_items, total_item, _ = _items(rollup, minutes)
            parts += [(item_size(item), rollup, _conditional_put(self.table_name, item, version, newer_or_same))
                      for item in part_items]
            totals.append((item_size(total_item), rollup, _conditional_put(
                self.table_name, total_item, version, f"({newer_or_same}) AND attribute_not_exists(pk)")))
        for chunk in _transactions(parts, TRANSACTION_ITEMS):
            self._transact(chunk, [])
        for chunk in _transactions(totals, TRANSACTION_ITEMS):
            self._transact(chunk, [])
        hours = [(rollup, minutes) for rollup, _, minutes in sealed if rollup.grain is Grain.hour]
        if self.totals is not None and hours:
            self._count_new_hours(hours)

    def _count_new_hours(self, hours: list[tuple[Rollup, Sequence[Rollup]]]) -> None:
        """The slots of new hours, per site, in transactions of under 100 records and their shard
        update, each swapped on what was read just before it (hours sharing a UTC hour's record go
        in the same transaction: their records merge)."""
        from tally.totals.slots import utc_hours

        by_site: dict[str, list[tuple[Rollup, Sequence[Rollup]]]] = {}
        for rollup, minutes in hours:
            by_site.setdefault(rollup.site_id, []).append((rollup, minutes))
        for site_id, site_hours in by_site.items():
            chunks: list[list[tuple[Rollup, Sequence[Rollup]]]] = [[]]
            records: set[int] = set()
            for rollup, minutes in sorted(site_hours, key=lambda h: h[0].start_ms):
                touched = set(utc_hours(rollup.start_ms, rollup.end_ms))
                if len(records | touched) > TRANSACTION_ITEMS - 5 and not touched & records:  # room for a shared hour's
                    chunks.append([])
                    records = set()
                chunks[-1].append((rollup, minutes))
                records |= touched
            for chunk in chunks:
                claims = self._slots.claim_many(_source(site_id), [(r.start_ms, r.end_ms) for r, _ in chunk])
                self._transact([], self._slots.swap_items(
                    (claims[(r.start_ms, r.end_ms)], slot_values(r, minutes)) for r, minutes in chunk))

    def _transact(self, puts: list[tuple[int, Rollup, Any]], extra: list[Any]) -> None:
        from tally.platform.aws import transact_write

        if not puts and not extra:
            return
        if transact_write(self.client, [put for _, _, put in puts] + extra) is not None:
            raise StaleSeal(f"{len(puts)} items: a bucket or its slots were stored meanwhile")
        sizes = [size for size, _, _ in puts] + [item_size(e["Put"]["Item"]) if "Put" in e else 1 for e in extra]
        self.write_units += 2 * sum(-(-size // 1024) for size in sizes)  # a transaction costs double

    def _put(self, item: dict[str, Any], version: int) -> None:
        item["ver"] = {"N": str(version)}
        try:
            self.client.put_item(TableName=self.table_name, Item=item,
                                 ConditionExpression="attribute_not_exists(ver) OR ver <= :v",
                                 ExpressionAttributeValues={":v": {"N": str(version)}})
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise StaleSeal(item["sk"]["S"]) from error
        self.write_units += -(-item_size(item) // 1024)

    def _stored_total(self, pk: str, start_ms: int) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table_name, ConsistentRead=True,
                                    Key={"pk": {"S": pk}, "sk": {"S": f"{TOTAL}#{start_ms:013d}#0"}}).get("Item")
        return dict(item) if item else None

    # -- reading ---------------------------------------------------------------------------------
    def _query(self, pk: str, dim: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table_name, ConsistentRead=True,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={":pk": {"S": pk}, ":a": {"S": f"{dim}#{start_ms:013d}#"},
                                       ":b": {"S": f"{dim}#{end_ms - 1:013d}#~"}},
        ):
            page_items = page.get("Items", [])
            self.items_read += len(page_items)
            self.read_units += max(1, -(-sum(item_size(i) for i in page_items) // 4096))
            items.extend(page_items)
        return items

    def read(self, site_id: str, grain: Grain, start_ms: int, end_ms: int) -> list[Rollup]:
        """Full rollups (totals and every dimension) of the buckets starting in [start_ms, end_ms)."""
        pk = f"{site_id}#{grain.value}"
        rollups: dict[int, Rollup] = {}
        dims: set[str] = set()
        for item in self._query(pk, TOTAL, start_ms, end_ms):
            start = int(item["sk"]["S"].split("#")[1])
            rollup = Rollup(site_id, grain, start, int(item["end"]["N"]), _stats_from(item["vals"]["M"]["all"]))
            rollups[start] = rollup
            dims.update(item.get("dims", {}).get("M", {}))
        for dim in sorted(dims):
            for item in self._query(pk, dim, start_ms, end_ms):
                start = int(item["sk"]["S"][len(dim) + 1:].split("#")[0])
                if start in rollups:
                    for value, stats in item["vals"]["M"].items():
                        rollups[start].dim(dim, value).merge(_stats_from(stats))
        return [rollups[s] for s in sorted(rollups)]

    def read_dimension(self, site_id: str, grain: Grain, name: str, start_ms: int, end_ms: int) -> list[Rollup]:
        """Rollups of the buckets starting in [start_ms, end_ms) with their totals and one dimension only
        (a breakdown needs one: `read` would fetch every dimension)."""
        rollups = {r.start_ms: r for r in self.read_totals(site_id, grain, start_ms, end_ms)}
        if not rollups:
            return []
        for item in self._query(f"{site_id}#{grain.value}", name, start_ms, end_ms):
            start = int(item["sk"]["S"][len(name) + 1:].split("#")[0])
            if start in rollups:
                for value, stats in item["vals"]["M"].items():
                    rollups[start].dim(name, value).merge(_stats_from(stats))
        return [rollups[s] for s in sorted(rollups)]

    def read_totals(self, site_id: str, grain: Grain, start_ms: int, end_ms: int) -> list[Rollup]:
        pk = f"{site_id}#{grain.value}"
        return [Rollup(site_id, grain, int(i["sk"]["S"].split("#")[1]), int(i["end"]["N"]),
                       _stats_from(i["vals"]["M"]["all"])) for i in self._query(pk, TOTAL, start_ms, end_ms)]

    def read_minutes(self, site_id: str, hour_start_ms: int, hour_end_ms: int, *,
                     hours: set[int] | None = None) -> list[Rollup]:
        """The minutes packed under the hours starting in [hour_start_ms, hour_end_ms) (only `hours`, when given)."""
        pk = f"{site_id}#{Grain.minute.value}"
        minutes = []
        for item in self._query(pk, MINUTES, hour_start_ms, hour_end_ms):
            if hours is not None and int(item["sk"]["S"].split("#")[1]) not in hours:
                continue
            for start, stats in item["vals"]["M"].items():
                minutes.append(Rollup(site_id, Grain.minute, int(start), int(start) + 60_000, _stats_from(stats)))
        return sorted(minutes, key=lambda r: r.start_ms)
