"""Visits: a visitor's run of events in which every gap is under 30 minutes.

A gap of 1,800 s or more starts a new visit. A visit keeps going across midnight although the
visitor id changes with the daily salt: an event joins a visit when its own id or its
previous-salt id (`alt_visitor`) is one the visit has seen. Bounce: at most one interactive event.
Duration: last - first event. Entry/exit page: first/last pageview (first/last event's page when
the visit has no pageview).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from tally.web.aggregate.events import RawEvent

VISIT_GAP_MS = 1_800_000
_ORDER = attrgetter("ts_ms", "event_id")


@dataclass(slots=True)
class Visit:
    first: RawEvent
    last: RawEvent
    keys: set[str] = field(default_factory=set)
    events: int = 0
    pageviews: int = 0
    interactive: int = 0
    entry_page: str | None = None
    exit_page: str | None = None

    @property
    def visitor(self) -> str:
        return self.first.visitor

    @property
    def start_ms(self) -> int:
        return self.first.ts_ms

    @property
    def duration_ms(self) -> int:
        return self.last.ts_ms - self.first.ts_ms

    @property
    def bounced(self) -> bool:
        return self.interactive <= 1

    @property
    def entry(self) -> str:
        return self.entry_page if self.entry_page is not None else self.first.page

    @property
    def exit(self) -> str:
        return self.exit_page if self.exit_page is not None else self.last.page

    def add(self, event: RawEvent) -> None:
        self.last = event
        self.events += 1
        self.keys.add(event.visitor)
        if event.alt_visitor:
            self.keys.add(event.alt_visitor)
        if event.counts_for_bounce:
            self.interactive += 1
        if event.is_pageview:
            self.pageviews += 1
            if self.entry_page is None:
                self.entry_page = event.page
            self.exit_page = event.page


def build_visits(events: Iterable[RawEvent]) -> list[Visit]:
    """Visits of a site's events (any order; duplicates by event id are ignored), ordered by start."""
    unique = {e.event_id: e for e in events}
    visits: list[Visit] = []
    open_by_key: dict[str, Visit] = {}
    for event in sorted(unique.values(), key=_ORDER):
        visit = _continuing(open_by_key, event)
        if visit is None:
            visit = Visit(first=event, last=event)
            visits.append(visit)
        visit.add(event)
        for key in visit.keys:
            open_by_key[key] = visit
    return visits


def _continuing(open_by_key: dict[str, Visit], event: RawEvent) -> Visit | None:
    best: Visit | None = None
    for key in (event.visitor, event.alt_visitor):
        if key is None:
            continue
        visit = open_by_key.get(key)
        if visit is not None and event.ts_ms - visit.last.ts_ms < VISIT_GAP_MS and \
                (best is None or visit.last.sort_key > best.last.sort_key):
            best = visit
    return best
