"""Sealing a closed hour: its rollup (and its minutes') as a pure function of raw events.

To know which visits start in an hour and how they end, the sealer reads the hour's events plus
the 30 minutes before it (an event there means a visit did not start in the hour) and the events
after it until every visit that started in the hour has ended. An hour is ready when all of its
visits are closed: their last event lies 30 minutes or more before the newest event seen or the
clock (minus the allowed lateness), whichever the caller passes as `settled_ms`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.rollup import Rollup, compute_rollup, merge_rollups
from tally.web.aggregate.visits import VISIT_GAP_MS, Visit, build_visits
from tally.web.aggregate.zones import MINUTE_MS, Grain, bucket_end, day_bounds, day_of, hours_of_day

LOOKBACK_MS = VISIT_GAP_MS


@dataclass(frozen=True)
class SealedHour:
    hour: Rollup
    minutes: tuple[Rollup, ...]


class NotSettled(Exception):
    """A visit that starts in the hour may still go on (or, for a day, an hour is not sealed yet):
    seal it later — after `retry_in_ms` when given, else the sealer's usual postponement."""

    def __init__(self, message: str = "", *, retry_in_ms: int | None = None) -> None:
        super().__init__(message)
        self.retry_in_ms = retry_in_ms


def seal_hour(site_id: str, tz: str, hour_start_ms: int, window: Iterable[RawEvent], settled_ms: int) -> SealedHour:
    """Rollups of one hour from the events of [hour_start - 30 min, …) — see the module docstring."""
    hour_end_ms = bucket_end(Grain.hour, hour_start_ms, tz)
    # Deliveries may repeat: an event id counts once, whatever the storage below us did.
    events = list({e.event_id: e for e in window if e.ts_ms >= hour_start_ms - LOOKBACK_MS}.values())
    visits = [v for v in build_visits(events) if hour_start_ms <= v.start_ms < hour_end_ms]
    for visit in visits:
        if visit.last.ts_ms + VISIT_GAP_MS > settled_ms:
            raise NotSettled(f"a visit starting in the hour may continue after {settled_ms}")
    in_hour = [e for e in events if hour_start_ms <= e.ts_ms < hour_end_ms]
    hour = compute_rollup(site_id, Grain.hour, hour_start_ms, hour_end_ms, in_hour, visits)
    return SealedHour(hour=hour, minutes=tuple(_minutes(site_id, in_hour, visits)))


def _minutes(site_id: str, events: list[RawEvent], visits: list[Visit]) -> Iterable[Rollup]:
    by_minute: dict[int, tuple[list[RawEvent], list[Visit]]] = {}
    for event in events:
        by_minute.setdefault(event.ts_ms - event.ts_ms % MINUTE_MS, ([], []))[0].append(event)
    for visit in visits:
        by_minute.setdefault(visit.start_ms - visit.start_ms % MINUTE_MS, ([], []))[1].append(visit)
    for minute in sorted(by_minute):
        minute_events, minute_visits = by_minute[minute]
        yield compute_rollup(site_id, Grain.minute, minute, minute + MINUTE_MS, minute_events, minute_visits,
                             with_dimensions=False)


def seal_day(site_id: str, tz: str, day_start_ms: int, hours: Iterable[Rollup]) -> Rollup:
    """A day's rollup from its sealed hours (the site-local day: 23, 24 or 25 of them).

    Only the hours of `tz` count: after a zone change, hours of the old zone may lie in the day too.
    """
    start, end = day_bounds(day_of(day_start_ms, tz), tz)
    own = set(hours_of_day(day_of(day_start_ms, tz), tz))
    return merge_rollups(site_id, Grain.day, start, end,
                         (h for h in hours if h.start_ms in own and h.end_ms == bucket_end(Grain.hour, h.start_ms, tz)))
