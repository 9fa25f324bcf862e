"""The aggregation pipeline: stream records mark buckets dirty; a bounded job seals due buckets.

Why this shape (see README, Architecture): raw events are the only truth, stored once under
deterministic keys. Nothing downstream increments a counter; every rollup is recomputed from raw
events and written whole with its seal version, so duplicated deliveries, replayed or bisected
batches, crashes between writes, two sealers at once and jobs run twice all converge on the
same rollups — the ones a brute-force recount gives.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.marks import DirtyMarks, Mark
from tally.web.aggregate.raw_store import RawEventStore, from_item
from tally.web.aggregate.rollup import Rollup
from tally.web.aggregate.rollup_store import RollupStore, StaleSeal, fingerprint
from tally.web.aggregate.sealing import LOOKBACK_MS, NotSettled, SealedHour, seal_day, seal_hour
from tally.web.aggregate.spans import SpanStore, rebuild_spans
from tally.web.aggregate.visits import VISIT_GAP_MS, Visit, build_visits
from tally.web.aggregate.zones import HOUR_MS, Grain, bucket_end, bucket_start

#: How late an event may arrive and still be sealed with its hour the first time.
LATENESS_MS = 2 * 60_000
POSTPONE_MS = 5 * 60_000
DAY_RETRY_MS = 60_000
MAX_LOOKAHEAD_MS = 24 * HOUR_MS


def hour_due_at(start_ms: int, tz: str) -> int:
    return bucket_end(Grain.hour, start_ms, tz) + VISIT_GAP_MS + LATENESS_MS


def day_due_at(start_ms: int, tz: str) -> int:
    return bucket_end(Grain.day, start_ms, tz) + VISIT_GAP_MS + LATENESS_MS


def hours_touched(event: RawEvent, tz: str) -> set[int]:
    """Hours whose rollup an event can change: its own, the one a visit it precedes may start in,
    and the one a visit it continues may have started in (a late event lengthening a sealed visit:
    marked, that hour is read raw until resealed; a visit begun even earlier is corrected by the
    seal's cascade)."""
    return {bucket_start(Grain.hour, event.ts_ms + offset, tz) for offset in (-VISIT_GAP_MS, 0, VISIT_GAP_MS)}


def _contains(visit: Visit, event_id: str, events: list[RawEvent]) -> bool:
    """Whether `event_id` belongs to `visit` (events between its first and last with one of its keys)."""
    return any(e.event_id == event_id and visit.first.sort_key <= e.sort_key <= visit.last.sort_key
               and (e.visitor in visit.keys or e.alt_visitor in visit.keys) for e in events)


@dataclass(frozen=True)
class Change:
    """A raw event as a stream record carries it, with its site's time zone."""

    event: RawEvent
    tz: str


def stream_change(record: dict[str, Any]) -> Change | None:
    """The raw event of a DynamoDB stream record; None for records that aren't new raw events."""
    image = record.get("dynamodb", {}).get("NewImage")
    if record.get("eventName") not in ("INSERT", "MODIFY") or not image or "n" not in image:
        return None  # removals (TTL, deletion) and dedupe claims change no rollup
    return Change(from_item(image), image.get("z", {}).get("S", "UTC"))


#: A bucket due later than this needs no new mark: no seal of it can have started yet.
SKIP_MARGIN_MS = 10 * 60_000


@dataclass
class Aggregator:
    """Marks the hours that changed. A container remembers the due times it has seen, so that an hour
    receiving events all along is marked about once, not once per batch: until a bucket is nearly due,
    no seal can start, so the pending seal will read every event stored before it.
    """

    marks: DirtyMarks
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    _due: dict[tuple[str, Grain, int], int] = field(default_factory=dict)

    def mark(self, changes: Iterable[Change]) -> int:
        """Touch every hour the events can change, once per hour per batch. Returns marks written."""
        touched: dict[tuple[str, Grain, int], str] = {}
        for change in changes:
            for hour in hours_touched(change.event, change.tz):
                # The day first: while any of its hours is changed and not yet resealed, the day is
                # not current either, so a reader never takes a day rollup that misses an event.
                touched[(change.event.site_id, Grain.day, bucket_start(Grain.day, hour, change.tz))] = change.tz
                touched[(change.event.site_id, Grain.hour, hour)] = change.tz
        now = self.now_ms()
        written = 0
        for (site_id, grain, start), tz in sorted(touched.items(), key=lambda kv: (kv[0][1] is Grain.hour, kv[0])):
            if self._due.get((site_id, grain, start), 0) - now > SKIP_MARGIN_MS:
                continue
            due_at = hour_due_at(start, tz) if grain is Grain.hour else day_due_at(start, tz)
            self._due[(site_id, grain, start)] = self.marks.touch(site_id, tz, grain, start, due_at)
            written += 1
        if len(self._due) > 50_000:  # bounded memory: forget buckets long due
            self._due = {k: v for k, v in self._due.items() if v - now > SKIP_MARGIN_MS}
        return written


class RawWindow(Protocol):
    def window(self, site_id: str, start_ms: int, end_ms: int) -> Iterable[RawEvent]: ...


def seal_marked_hour(raw: RawWindow, mark: Mark, now_ms: int) -> tuple[SealedHour, list[RawEvent]]:
    """Seal `mark`'s hour from the raw events of [hour start - 30 min, hour end), read on an hour at
    a time until every visit that starts in the hour has ended; the rollups and the events read.
    Raises NotSettled while such a visit may still go on."""
    start, end = mark.start_ms, bucket_end(Grain.hour, mark.start_ms, mark.tz)
    settled_ms = now_ms - LATENESS_MS
    window_end = end
    events = list(raw.window(mark.site_id, start - LOOKBACK_MS, window_end))
    while True:  # read on until every visit that starts in the hour has ended
        open_until = max((v.last.ts_ms + VISIT_GAP_MS for v in build_visits(events)
                          if start <= v.start_ms < end), default=0)
        if open_until <= window_end or window_end >= min(settled_ms, end + MAX_LOOKAHEAD_MS):
            break
        following = min(window_end + HOUR_MS, settled_ms)
        events.extend(raw.window(mark.site_id, window_end, following))
        window_end = following
    return seal_hour(mark.site_id, mark.tz, start, events, min(settled_ms, window_end)), events


@dataclass
class SealReport:
    sealed: int = 0
    unchanged: int = 0
    postponed: int = 0
    stale: int = 0
    days: int = 0
    remaining: bool = False
    errors: list[str] = field(default_factory=list)


@dataclass
class Sealer:
    marks: DirtyMarks
    raw: RawEventStore
    rollups: RollupStore
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    spans: SpanStore | None = None

    def __post_init__(self) -> None:
        if self.spans is None:  # spans live next to the rollups, on the same connection
            self.spans = SpanStore(self.rollups.table_name, self.rollups._client)

    def run(self, *, deadline: Callable[[], bool], page: int = 50) -> SealReport:
        """Seal due hours, then due days, until nothing is due or `deadline()` says stop."""
        report = SealReport()
        for grain in (Grain.hour, Grain.day):
            while not deadline():
                due = self.marks.due(grain, self.now_ms(), page)
                if not due:
                    break
                # Overlapping runs (a schedule fires while a long run goes on) take the same due
                # page: in a random order they seldom seal the same bucket at once (a stale seal).
                for mark in random.sample(due, len(due)):
                    if deadline():
                        report.remaining = True
                        return report
                    self._seal(mark, report)
                if len(due) < page:
                    break
            else:
                report.remaining = True
        return report

    def _seal(self, mark: Mark, report: SealReport) -> None:
        current = self.marks.get(mark.site_id, mark.grain, mark.start_ms)
        if current is None or current.version <= current.sealed:
            return
        counts = None
        try:
            if current.grain is Grain.hour:
                self.seal_hour(current, report)
            else:
                counts = self.seal_day(current, report).totals.mark_counts()
                if self.spans is not None:  # before settling: see tally.web.aggregate.spans
                    rebuild_spans(current.site_id, current.tz, current.start_ms, current.version, marks=self.marks,
                                  rollups=self.rollups, spans=self.spans,
                                  long_past=lambda start: day_due_at(start, current.tz) <= self.now_ms())
        except NotSettled as waiting:
            report.postponed += 1
            self.marks.postpone(current, self.now_ms() + (waiting.retry_in_ms or POSTPONE_MS))
            return
        except StaleSeal:
            report.stale += 1  # a newer seal won; its version stays due until sealed
            return
        self.marks.settle(current, counts)

    def seal_hour(self, mark: Mark, report: SealReport) -> None:
        start, end = mark.start_ms, bucket_end(Grain.hour, mark.start_ms, mark.tz)
        sealed, events = seal_marked_hour(self.raw, mark, self.now_ms())
        previous = self.rollups.write(sealed.hour, mark.version, sealed.minutes)
        if previous == fingerprint(sealed.hour):
            report.unchanged += 1
            return
        report.sealed += 1
        day = bucket_start(Grain.day, start, mark.tz)
        self.marks.touch(mark.site_id, mark.tz, Grain.day, day, day_due_at(day, mark.tz))
        if previous is not None:
            self._cascade(mark, events, start, end)

    def _cascade(self, mark: Mark, events: list[RawEvent], start: int, end: int) -> None:
        """A changed reseal may change visits that began before the hour: reseal where they began.

        The window read for the hour starts 30 minutes early, so a visit crossing into the hour may
        have begun long before: walk its chain back through earlier raw events to its first one.
        """
        window_start = start - LOOKBACK_MS
        for visit in build_visits(events):
            if not visit.start_ms < start <= visit.last.ts_ms:
                continue
            first = self._chain_start(mark.site_id, visit.last.event_id, events, window_start)
            hour = bucket_start(Grain.hour, first, mark.tz)
            self.marks.touch(mark.site_id, mark.tz, Grain.day, bucket_start(Grain.day, hour, mark.tz), self.now_ms())
            self.marks.touch(mark.site_id, mark.tz, Grain.hour, hour, self.now_ms())

    def _chain_start(self, site_id: str, member_id: str, events: list[RawEvent], window_start: int) -> int:
        known = list(events)
        limit = window_start - MAX_LOOKAHEAD_MS
        while True:
            visit = next(v for v in build_visits(known) if any(e.event_id == member_id for e in (v.first, v.last))
                         or _contains(v, member_id, known))
            if visit.start_ms - VISIT_GAP_MS >= window_start or window_start <= limit:
                return visit.start_ms
            known.extend(self.raw.window(site_id, window_start - HOUR_MS, window_start))
            window_start -= HOUR_MS

    def seal_day(self, mark: Mark, report: SealReport) -> Rollup:
        end = bucket_end(Grain.day, mark.start_ms, mark.tz)
        if self.marks.any_unsealed(mark.site_id, Grain.hour, mark.start_ms, end):
            # an hour is changed and not resealed yet (it is due already): try the day again soon
            raise NotSettled("an hour of the day is not sealed yet", retry_in_ms=DAY_RETRY_MS)
        hours = self.rollups.read(mark.site_id, Grain.hour, mark.start_ms, end)
        day = seal_day(mark.site_id, mark.tz, mark.start_ms, hours)
        self.rollups.write(day, mark.version)
        report.days += 1
        return day
