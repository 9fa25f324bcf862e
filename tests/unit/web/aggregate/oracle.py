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
    props: tuple[tuple[str, str], ...] = ()

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


def expected_goal_props(events: list[OracleEvent], bucket_of) -> dict:
    """{(bucket, goal, key, value): Expected} — each custom event's own props (never `pageview`'s or
    `engagement`'s), events and visitors counted by scanning; an empty value reads `(not set)`."""
    result: dict = defaultdict(Expected)
    for event in {e.event_id: e for e in events}.values():
        if event.name in ("pageview", "engagement"):
            continue
        for key, value in event.props:
            expected = result[(bucket_of(event.ts_ms), event.name, key, value or "(not set)")]
            expected.events += 1
            expected.visitors.add(event.visitor())
    return dict(result)


def goal_props_of(rollup) -> dict:
    """{(goal, key, value): (events, visitors)} of a rollup's goal-props dimensions (read back for comparison)."""
    from tally.web.aggregate.rollup import GOAL_PROPS_PREFIX, goal_prop_of

    found = {}
    for name, values in rollup.dims.items():
        if name.startswith(GOAL_PROPS_PREFIX):
            for pair, stats in values.items():
                found[(name[len(GOAL_PROPS_PREFIX):], *goal_prop_of(pair))] = (stats.events,
                                                                               stats.visitors.estimate())
    return found


def expected_goal_props_in(events: list[OracleEvent], bucket_of, bucket) -> dict:
    """`goal_props_of`'s shape for one bucket, from the oracle."""
    return {(goal, key, value): (exp.events, len(exp.visitors))
            for (b, goal, key, value), exp in expected_goal_props(events, bucket_of).items() if b == bucket}
