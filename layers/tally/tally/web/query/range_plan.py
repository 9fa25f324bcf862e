"""The range plan: which stored pieces answer a query over [start, end), exactly and cheaply.

Rollups are kept in the site's zone. A site-local day lying wholly in the range is read from its
day rollup when the day is sealed and current (its mark's `version == sealed`): whoever marks an
hour changed marks its day first, and a day is sealed only once all its hours are, so a current
day has no hour changed since. Otherwise its hours are looked at one by one: a sealed, current
hour is read from its hour rollup, an hour whose mark says it changed since (or is still open, or
not yet marked) is read from raw events, and an hour with no mark and long past is empty (no
event ever landed in it). Hours cut by the range's edges (a query zone other than the site's)
are read raw.

After the site changes zone (tally.web.aggregate.rebucket), its marks of the old zone stay: a
mark counts as the site's own when its bucket is also a bucket of the site's zone (hours between
Berlin and Santiago are; Kolkata's :30 hours are not), the others are the old zone's. A bucket of
the site's zone is read from its rollup only while every old-zone bucket overlapping it says its
changes were carried into the site's zone (re-bucketing marked the new buckets, which were then
sealed): until then the new bucket's rollup may lack events only the old marks know about. And a
bucket is taken for empty only when no mark of any zone overlaps it. So during and after a zone
change a query reads rollups where they are valid, raw events elsewhere, and stays exact.

Reads: one query of day marks (one small item per day that ever had an event), hour marks only
where a day is not current (the range's edges, today), the day rollups of sealed days, and hour
rollups or raw events only where a day is not sealed: O(days + edge hours) items, however large
the site grows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tally.web.aggregate.marking import day_due_at, hour_due_at
from tally.web.aggregate.zones import HOUR_MS, Grain, bucket_end, bucket_start, same_bucket

#: How much earlier than a bucket of the site's zone an overlapping bucket of another zone can start:
#: a day is at most 25 hours long, an hour at most 90 minutes.
LOOKBACK_MS = {Grain.day: 25 * HOUR_MS, Grain.hour: 2 * HOUR_MS}


@dataclass(frozen=True)
class MarkState:
    start_ms: int
    version: int
    sealed: int
    #: A sealed day's counters (pageviews, events, visits, bounces, duration) and, since the visitor
    #: estimate joined them, its visitors — kept with its sealed version.
    counts: tuple[int, ...] | None = None
    #: The bucket's zone (None: the site's), and the zone and version re-bucketing carried it into.
    tz: str | None = None
    rebucketed_to: str | None = None
    rebucketed_at: int = 0

    def serves(self, grain: Grain, zone: str) -> bool:
        """Whether this bucket is also a bucket of `zone` (the site's zone, when it is read)."""
        return self.tz is None or same_bucket(grain, self.start_ms, self.tz, zone)

    def carried_into(self, zone: str) -> bool:
        return self.rebucketed_to == zone and self.rebucketed_at == self.version

    @property
    def current(self) -> bool:
        return self.sealed > 0 and self.version == self.sealed

    @property
    def visitors(self) -> int | None:
        """The sealed day's own visitor estimate, when its mark carries one."""
        return self.counts[5] if self.counts is not None and len(self.counts) > 5 else None


class MarkReader(Protocol):
    def marks(self, site_id: str, grain: Grain, start_ms: int, end_ms: int) -> dict[int, MarkState]:
        """Marks of the buckets of `grain` starting in [start_ms, end_ms), by bucket start."""
        ...


@dataclass
class RangePlan:
    """[start, end) in UTC ms split into day rollups, hour rollups and raw runs (each a [start, end))."""

    start_ms: int
    end_ms: int
    days: list[tuple[int, int]] = field(default_factory=list)
    hours: list[tuple[int, int]] = field(default_factory=list)
    raw: list[tuple[int, int]] = field(default_factory=list)
    #: Whole days never marked and long past: no event ever landed in them (nothing to read).
    empty_days: list[tuple[int, int]] = field(default_factory=list)
    #: The marks of `days`, by day start: their sealed versions and counters.
    day_marks: dict[int, MarkState] = field(default_factory=dict)

    def covered(self) -> list[tuple[int, int]]:
        return sorted([*self.days, *self.hours, *self.raw])


def join_adjacent(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Adjacent spans joined."""
    runs: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


class ZonedMarks:
    """A site's marks of one grain, as seen from the site's zone: its own, and the other zones'."""

    def __init__(self, marks: dict[int, MarkState], grain: Grain, zone: str) -> None:
        self.own = {start: m for start, m in marks.items() if m.serves(grain, zone)}
        others = sorted((start, bucket_end(grain, start, m.tz or zone), m.carried_into(zone))
                        for start, m in marks.items() if start not in self.own)
        self._others = others
        self._starts = [start for start, _, _ in others]
        self._lookback = LOOKBACK_MS[grain]

    def others_carried(self, start_ms: int, end_ms: int) -> list[bool]:
        """For each other-zone bucket overlapping [start_ms, end_ms): whether it was carried into the zone."""
        first = bisect_right(self._starts, start_ms - self._lookback)
        return [carried for start, end, carried in self._others[first:bisect_right(self._starts, end_ms - 1)]
                if end > start_ms]


def plan_range(site_id: str, site_tz: str, start_ms: int, end_ms: int, now_ms: int, marks: MarkReader, *,
               use_days: bool = True) -> RangePlan:
    """The plan for [start_ms, end_ms); `use_days=False` plans hour by hour (hourly time series)."""
    plan = RangePlan(start_ms, min(end_ms, max(start_ms, now_ms)))
    end_ms = plan.end_ms  # nothing after now exists yet
    if end_ms <= start_ms:
        return plan
    rest: list[tuple[int, int]] = [(start_ms, end_ms)]
    if use_days:
        first_day = bucket_start(Grain.day, start_ms, site_tz)
        day_marks = ZonedMarks(marks.marks(site_id, Grain.day, first_day - LOOKBACK_MS[Grain.day], end_ms),
                               Grain.day, site_tz)
        rest = []
        cursor = start_ms
        day = bucket_start(Grain.day, start_ms, site_tz)
        while day < end_ms:
            day_end = bucket_end(Grain.day, day, site_tz)
            mark = day_marks.own.get(day)
            others = day_marks.others_carried(day, day_end)
            whole = day >= start_ms and day_end <= end_ms
            if whole and mark is not None and mark.current and all(others):
                if cursor < day:
                    rest.append((cursor, day))
                plan.days.append((day, day_end))
                plan.day_marks[day] = mark
                cursor = day_end
            elif whole and mark is None and not others and day_due_at(day, site_tz) <= now_ms:
                if cursor < day:  # no event ever landed in the day (an hour's mark implies its day's)
                    rest.append((cursor, day))
                plan.empty_days.append((day, day_end))
                cursor = day_end
            day = day_end
        if cursor < end_ms:
            rest.append((cursor, end_ms))
    rest = join_adjacent(rest)
    raw: list[tuple[int, int]] = []
    for run_start, run_end in rest:
        hour = bucket_start(Grain.hour, run_start, site_tz)
        hour_marks = ZonedMarks(marks.marks(site_id, Grain.hour, hour - LOOKBACK_MS[Grain.hour], run_end),
                                Grain.hour, site_tz)
        while hour < run_end:
            hour_end = bucket_end(Grain.hour, hour, site_tz)
            span = (max(hour, run_start), min(hour_end, run_end))
            mark = hour_marks.own.get(hour)
            others = hour_marks.others_carried(hour, hour_end)
            whole = span == (hour, hour_end)
            if whole and mark is not None and mark.current and all(others):
                plan.hours.append(span)
            elif mark is not None or others or hour_due_at(hour, site_tz) > now_ms:
                raw.append(span)  # changed since sealed, open, not yet marked, or other zones' not carried over
            hour = hour_end
    plan.raw = join_adjacent(raw)
    return plan


class DynamoMarkReader:
    """Reads dirty marks (`tally.web.aggregate.marks`) of a site over a range: one query per call."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table_name = table_name
        self._client = client
        self.read_units = 0.0
        self.items_read = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            from tally.platform.aws import dynamodb_client

            self._client = dynamodb_client()
        return self._client

    def marks(self, site_id: str, grain: Grain, start_ms: int, end_ms: int) -> dict[int, MarkState]:
        from tally.platform.capacity import query_read_units
        from tally.web.aggregate.marks import mark_pages

        found: dict[int, MarkState] = {}
        for items in mark_pages(self.client, self.table_name, site_id, grain, start_ms, end_ms,
                                projection="sk, ver, sealed, c, tz, rz, rv"):
            self.items_read += len(items)
            self.read_units += query_read_units(items)
            for item in items:
                start = int(item["sk"]["S"].split("#")[1])
                counts = tuple(int(n["N"]) for n in item["c"]["L"]) if "c" in item else None
                found[start] = MarkState(start, int(item["ver"]["N"]), int(item.get("sealed", {"N": "0"})["N"]), counts,
                                         tz=item["tz"]["S"], rebucketed_to=item.get("rz", {}).get("S"),
                                         rebucketed_at=int(item.get("rv", {"N": "0"})["N"]))
        return found
