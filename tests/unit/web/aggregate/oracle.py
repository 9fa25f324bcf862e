"""A brute-force oracle for docs/design.md's metric definitions, written independently of tally.web.aggregate.

It groups events by the generator's true person (not by hashed ids), splits visits at gaps of
1,800 s or more, and counts everything by scanning — what every rollup must equal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


@dataclass
class OracleEvent:
    event_id: str
    person: str
    ts_ms: int
    name: str
    page: str
    interactive: bool
    source: str

    def visitor(self) -> str:
        return f"{self.person}@{datetime.fromtimestamp(self.ts_ms / 1000, UTC).date()}"


@dataclass
class OracleVisit:
    events: list[OracleEvent]

    @property
    def start(self) -> int:
        return self.events[0].ts_ms

    @property
    def visitor(self) -> str:
        return self.events[0].visitor()

    @property
    def bounced(self) -> bool:
        return sum(1 for e in self.events if e.interactive and e.name != "engagement") <= 1

    @property
    def duration(self) -> int:
        return self.events[-1].ts_ms - self.events[0].ts_ms

    @property
    def entry(self) -> str:
        pages = [e.page for e in self.events if e.name == "pageview"]
        return pages[0] if pages else self.events[0].page


@dataclass
class Expected:
    pageviews: int = 0
    events: int = 0
    visits: int = 0
    bounces: int = 0
    duration: int = 0
    visitors: set[str] = field(default_factory=set)


def oracle_visits(events: list[OracleEvent]) -> list[OracleVisit]:
    by_person: dict[str, list[OracleEvent]] = defaultdict(list)
    for event in {e.event_id: e for e in events}.values():
        by_person[event.person].append(event)
    visits = []
    for person_events in by_person.values():
        person_events.sort(key=lambda e: (e.ts_ms, e.event_id))
        current = [person_events[0]]
        for event in person_events[1:]:
            if event.ts_ms - current[-1].ts_ms >= 1_800_000:
                visits.append(OracleVisit(current))
                current = []
            current.append(event)
        visits.append(OracleVisit(current))
    return visits


def local_day(ts_ms: int, tz: str):
    return datetime.fromtimestamp(ts_ms / 1000, UTC).astimezone(ZoneInfo(tz)).date()


def expected_by(events: list[OracleEvent], bucket_of, dimension=None) -> dict:
    """{bucket: Expected} or, with a dimension, {(bucket, value): Expected}."""
    unique = list({e.event_id: e for e in events}.values())
    result: dict = defaultdict(Expected)
    for event in unique:
        if dimension == "page" and event.name != "pageview":
            continue
        key = bucket_of(event.ts_ms) if dimension is None else (bucket_of(event.ts_ms), event.page)
        if dimension not in (None, "page"):
            continue
        expected = result[key]
        expected.events += 1
        expected.pageviews += event.name == "pageview"
        expected.visitors.add(event.visitor())
    for visit in oracle_visits(unique):
        if dimension == "page":
            continue
        if dimension is None:
            key = bucket_of(visit.start)
        elif dimension == "entry_page":
            key = (bucket_of(visit.start), visit.entry)
        elif dimension == "source":
            key = (bucket_of(visit.start), visit.events[0].source)
        else:
            raise ValueError(dimension)
        expected = result[key]
        expected.visits += 1
        expected.bounces += visit.bounced
        expected.duration += visit.duration
        if dimension is not None:
            expected.visitors.add(visit.visitor)
    return dict(result)
