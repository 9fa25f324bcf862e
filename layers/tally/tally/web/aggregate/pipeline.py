"""The aggregation pipeline: stream records mark buckets dirty (`marking`); a bounded job seals due buckets.

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
from typing import Protocol

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.marking import LATENESS_MS, day_due_at
from tally.web.aggregate.marks import DirtyMarks, Mark
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup import Rollup
from tally.web.aggregate.rollup_store import RollupStore, StaleSeal, fingerprint
from tally.web.aggregate.seal_requests import SealRequests
from tally.web.aggregate.sealing import (
    LOOKBACK_MS,
    MAX_LOOKAHEAD_MS,
    NotSettled,
    SealedHour,
    seal_day,
    seal_hour,
    visit_window,
)
from tally.web.aggregate.spans import SpanStore, rebuild_spans
from tally.web.aggregate.visits import VISIT_GAP_MS, Visit, build_visits
from tally.web.aggregate.zones import HOUR_MS, Grain, bucket_end, bucket_start

POSTPONE_MS = 5 * 60_000
DAY_RETRY_MS = 60_000


def _contains(visit: Visit, event_id: str, events: list[RawEvent]) -> bool:
    """Whether `event_id` belongs to `visit` (events between its first and last with one of its keys)."""
    return any(e.event_id == event_id and visit.first.sort_key <= e.sort_key <= visit.last.sort_key
               and (e.visitor in visit.keys or e.alt_visitor in visit.keys) for e in events)


class RawWindow(Protocol):
    def window(self, site_id: str, start_ms: int, end_ms: int) -> Iterable[RawEvent]: ...


def seal_marked_hour(raw: RawWindow, mark: Mark, now_ms: int) -> tuple[SealedHour, list[RawEvent]]:
    """Seal `mark`'s hour from the raw events `visit_window` reads for it (from 30 minutes before
    the hour until every visit that starts in it has ended); the rollups and the events read.
    Raises NotSettled while such a visit may still go on."""
    start, end = mark.start_ms, bucket_end(Grain.hour, mark.start_ms, mark.tz)
    settled_ms = now_ms - LATENESS_MS
    events, window_end = visit_window(lambda a, b: raw.window(mark.site_id, a, b), start, end, settled_ms)
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
    requests: SealRequests | None = None

    def __post_init__(self) -> None:
        # spans and seal requests live next to the rollups, on the same connection
        if self.spans is None:
            self.spans = SpanStore(self.rollups.table_name, self.rollups._client)
        if self.requests is None:
            self.requests = SealRequests(self.rollups.table_name, self.rollups._client)

    def run(self, *, deadline: Callable[[], bool], page: int = 50) -> SealReport:
        """Seal the due hours stats queries asked for, then due hours, then due days, until nothing is
        due or `deadline()` says stop."""
        report = SealReport()
        if not self._serve_requests(report, deadline):
            report.remaining = True
            return report
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

    def _serve_requests(self, report: SealReport, deadline: Callable[[], bool]) -> bool:
        """Seal the due hours of the spans stats queries could not read within their bound (see
        `tally.web.aggregate.seal_requests`); False when `deadline()` stopped it."""
        assert self.requests is not None
        for request in self.requests.pending():
            for start, end in request.spans:
                for mark in self.marks.states(request.site_id, Grain.hour, start, end):
                    if deadline():
                        return False
                    if mark.version > mark.sealed:
                        self._seal(mark, report)
            self.requests.served(request)
        return True

    def _seal(self, mark: Mark, report: SealReport) -> None:
        current = self.marks.get(mark.site_id, mark.grain, mark.start_ms)
        if current is None or current.version <= current.sealed:
            return
        if current.due_at is not None and current.due_at > self.now_ms():
            return  # not due (a request, or a stale index entry): no seal may start before its due time
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
        claim = self.rollups.claim(mark.site_id, start, end)  # the platform totals' slots, before the raw events
        sealed, events = seal_marked_hour(self.raw, mark, self.now_ms())
        previous = self.rollups.write(sealed.hour, mark.version, sealed.minutes, claim)
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
