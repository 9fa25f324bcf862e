"""Sealing the imported demo month in bulk, before `tally dev` starts its schedules.

Why: the scheduled sealer spends ~20 round trips to moto on an hour (its mark, the raw window, the
stored totals, a write per dimension, the totals transaction, the day's mark, settling), each a
few milliseconds of two processes' CPU; two demo sites' month is ~1,400 hours: many minutes on a
2-core laptop. Here the product's own code seals the same buckets (`seal_marked_hour`,
`seal_day`, `rebuild_spans`) from one scan of the raw events, and the results go in transactions
of up to 100 with the conditions the sealer uses (`RollupStore.write_new`, `DirtyMarks.settle_many`):
what the scheduled sealer would have stored, in a few hundred round trips.

Only what the scheduled sealer could seal now is sealed: hours that are due and settled, never
sealed before, and days all of whose hours that makes sealed. The rest (the last hour or so,
today) stays due for the schedules, as does anything that changed meanwhile (its condition fails).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.marking import day_due_at
from tally.web.aggregate.marks import DirtyMarks, Mark
from tally.web.aggregate.pipeline import seal_marked_hour
from tally.web.aggregate.raw_store import from_item
from tally.web.aggregate.rollup import Rollup
from tally.web.aggregate.rollup_store import RollupStore, StaleSeal
from tally.web.aggregate.sealing import NotSettled, seal_day
from tally.web.aggregate.spans import SpanStore, rebuild_spans
from tally.web.aggregate.zones import Grain, bucket_end

if TYPE_CHECKING:
    from tally_dev.localcloud import LocalCloud

FOREVER_MS = 10**13 - 1  # marks' and rollups' keys hold 13-digit milliseconds
WRITERS = 2  # transactions in flight at once (see `_write_in_parallel`)


@dataclass
class BulkSeal:
    """What `seal_history` sealed, and how many due buckets it left to the schedules."""

    hours: int = 0
    days: int = 0
    spans: int = 0
    left: int = 0


def seal_demo(cloud: LocalCloud, *, progress: Callable[[str], None] = lambda text: None) -> BulkSeal:
    """`seal_history` on a running local cloud, through a client of its own that skips botocore's
    client-side checking of each request's shape (a month of rollups is thousands of nested items,
    built by the product's code; moto still checks what it stores)."""
    from botocore.config import Config

    client = cloud.client("dynamodb", config=Config(parameter_validation=False))
    return seal_history(cloud.tables, client, progress=progress, writers=WRITERS)


def seal_history(tables: Mapping[str, str], client: Any | None = None, *,
                 progress: Callable[[str], None] = lambda text: None, now_ms: int | None = None,
                 writers: int = 1) -> BulkSeal:
    """Seal every bucket that the scheduled sealer could seal now (see the module).

    `tables`: the template's tables (logical id -> name), e.g. `LocalCloud.tables`; `client`: a
    DynamoDB client on them (default: the process's); `writers`: transactions in flight at once
    (more than one only against moto's server, which applies requests one at a time).
    """
    from tally.platform.aws import dynamodb_client
    from tally.totals.store import DynamoTotals

    client = client or dynamodb_client()
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    marks = DirtyMarks(tables["RollupsTable"], client)
    rollups = RollupStore(tables["RollupsTable"], client, totals=DynamoTotals(tables["PublicStatsTable"], client))
    progress("reading the raw events ...")
    events = _raw_events(client, tables["EventsTable"])
    sites = sorted({m.site_id for grain in (Grain.hour, Grain.day) for m in marks.due(grain, FOREVER_MS, 100_000)})
    result = BulkSeal()
    for number, site_id in enumerate(sites, start=1):
        progress(f"sealing site {number} of {len(sites)} in bulk ...")
        _seal_site(site_id, _Window(events.get(site_id, [])), now, marks=marks, rollups=rollups, result=result,
                   writers=writers)
    return result


def _seal_site(site_id: str, raw: _Window, now: int, *, marks: DirtyMarks, rollups: RollupStore,
               result: BulkSeal, writers: int) -> None:
    due_hours = {m.start_ms for m in marks.due(Grain.hour, now, 100_000) if m.site_id == site_id}
    hours: dict[int, tuple[Mark, Rollup, tuple[Rollup, ...]]] = {}
    blocked: list[int] = []  # hours the scheduler must seal: not due, not settled, or sealed before
    for mark in marks.states(site_id, Grain.hour, 0, FOREVER_MS):
        if mark.version == mark.sealed:
            blocked.append(mark.start_ms)  # sealed earlier: its rollup is not in hand for the day
            continue
        if mark.sealed > 0 or mark.start_ms not in due_hours:
            blocked.append(mark.start_ms)
            continue
        try:
            sealed, _ = seal_marked_hour(raw, mark, now)
        except NotSettled:
            blocked.append(mark.start_ms)
            continue
        hours[mark.start_ms] = (mark, sealed.hour, sealed.minutes)
    blocked.sort()
    try:
        _write_in_parallel(rollups, [(hour, mark.version, minutes) for mark, hour, minutes in hours.values()],
                           writers)
        result.hours += marks.settle_many([(mark, None) for mark, _, _ in hours.values()])
        days = _seal_days(site_id, now, marks=marks, hours=hours, blocked=blocked)
        rollups.write_new([(day, mark.version, ()) for mark, day in days])
        result.spans += _rebuild_spans(site_id, days, now, marks=marks, rollups=rollups)
        result.days += marks.settle_many([(mark, day.totals.mark_counts()) for mark, day in days])
    except StaleSeal:
        pass  # something was sealed meanwhile: what is left stays due for the schedules
    result.left += sum(1 for grain in (Grain.hour, Grain.day) for m in marks.due(grain, now, 100_000)
                       if m.site_id == site_id)


def _write_in_parallel(rollups: RollupStore, sealed: list[tuple[Rollup, int, tuple[Rollup, ...]]],
                       writers: int) -> None:
    """`rollups.write_new` on `writers` disjoint runs of buckets at once: while moto stores one
    transaction, this process builds the next (each run writes its parts before its totals items,
    and no bucket is in two runs). Raises StaleSeal, once every run has ended, if one was refused."""
    if writers <= 1:
        rollups.write_new(sealed)
        return
    size = -(-len(sealed) // writers)
    runs = [sealed[start:start + size] for start in range(0, len(sealed), size)] if sealed else []
    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="tally-demo-seal") as pool:
        futures = [pool.submit(rollups.write_new, run) for run in runs]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error


def _seal_days(site_id: str, now: int, *, marks: DirtyMarks, hours: dict[int, tuple[Mark, Rollup, tuple[Rollup, ...]]],
               blocked: list[int]) -> list[tuple[Mark, Rollup]]:
    days = []
    for mark in marks.states(site_id, Grain.day, 0, FOREVER_MS):
        if mark.version == mark.sealed or mark.sealed > 0 or day_due_at(mark.start_ms, mark.tz) > now:
            continue
        end = bucket_end(Grain.day, mark.start_ms, mark.tz)
        first_blocked = bisect.bisect_left(blocked, mark.start_ms)
        if first_blocked < len(blocked) and blocked[first_blocked] < end:
            continue  # an hour of the day is left to the scheduler: so is the day
        day_hours = [hour for start, (_, hour, _) in hours.items() if mark.start_ms <= start < end]
        days.append((mark, seal_day(site_id, mark.tz, mark.start_ms, day_hours)))
    return days


def _rebuild_spans(site_id: str, days: list[tuple[Mark, Rollup]], now: int, *, marks: DirtyMarks,
                   rollups: RollupStore) -> int:
    """Every span the days' seals would rebuild, each written once (a day seal rewrites up to 62)."""
    if not days:
        return 0
    settled = {mark.start_ms: mark.version for mark, _ in days}
    day_marks = [Mark(m.site_id, m.grain, m.start_ms, m.tz, m.version, settled.get(m.start_ms, m.sealed))
                 for m in marks.states(site_id, Grain.day, 0, FOREVER_MS)]
    stored = {r.start_ms: r for r in rollups.read_totals(site_id, Grain.day, 0, FOREVER_MS)}
    in_hand = _InHand(marks.table_name, day_marks, {**stored, **{day.start_ms: day for _, day in days}})
    collected = _Collector()
    spans = SpanStore(rollups.table_name, collected)
    for mark, _ in days:
        rebuild_spans(site_id, mark.tz, mark.start_ms, mark.version, marks=in_hand, rollups=in_hand.rollups,
                      spans=spans, long_past=lambda start, tz=mark.tz: day_due_at(start, tz) <= now)
    return collected.flush(rollups.client, rollups.table_name)


class _InHand(DirtyMarks):
    """The day marks and rollups `rebuild_spans` asks for, as they stand once the bulk seal is written."""

    def __init__(self, table_name: str, day_marks: list[Mark], days: dict[int, Rollup]) -> None:
        super().__init__(table_name)
        self._marks = sorted(day_marks, key=lambda m: m.start_ms)
        self.rollups = _DaysInHand(table_name, days)

    def states(self, site_id: str, grain: Grain, start_ms: int, end_ms: int) -> list[Mark]:
        return [m for m in self._marks if m.site_id == site_id and m.grain is grain and start_ms <= m.start_ms < end_ms]


class _DaysInHand(RollupStore):
    def __init__(self, table_name: str, days: dict[int, Rollup]) -> None:
        super().__init__(table_name)
        self._days = days

    def read_totals(self, site_id: str, grain: Grain, start_ms: int, end_ms: int) -> list[Rollup]:
        return [self._days[s] for s in sorted(self._days) if start_ms <= s < end_ms]


@dataclass
class _Collector:
    """Stands in for a DynamoDB client that takes span puts: keeps the last item per key, then writes
    them in batches (spans are written without conditions, see `tally.web.aggregate.spans`)."""

    items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def put_item(self, *, TableName: str, Item: dict[str, Any]) -> None:  # noqa: N803 - boto3's names
        self.items[(Item["pk"]["S"], Item["sk"]["S"])] = Item

    def flush(self, client: Any, table_name: str) -> int:
        items = list(self.items.values())
        for start in range(0, len(items), 25):
            request: dict[str, Any] = {table_name: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        return len(items)


class _Window:
    """A site's raw events in hand, answering `window` as `RawEventStore` does."""

    def __init__(self, events: list[RawEvent]) -> None:
        self.events = sorted(events, key=lambda e: e.sort_key)
        self._times = [e.ts_ms for e in self.events]

    def window(self, site_id: str, start_ms: int, end_ms: int) -> Iterator[RawEvent]:
        first, last = bisect.bisect_left(self._times, start_ms), bisect.bisect_left(self._times, end_ms)
        return iter(self.events[first:last])


def _raw_events(client: Any, table_name: str) -> dict[str, list[RawEvent]]:
    """Every raw event of the table by site (one scan: a handful of 1 MB pages for a demo month)."""
    found: dict[str, list[RawEvent]] = {}
    for page in client.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True):
        for item in page.get("Items", []):
            if "n" in item:  # a raw event (not a dedupe claim)
                event = from_item(item)
                found.setdefault(event.site_id, []).append(event)
    return found
