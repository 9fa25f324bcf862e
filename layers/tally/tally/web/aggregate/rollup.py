"""Rollups: what a time bucket holds — additive counts and visitor sketches, total and per dimension.

A bucket's rollup is a pure function of the events whose timestamp lies in it and the visits
that start in it (docs/design.md: a visit is counted in the bucket of its start). Rollups of finer
buckets merge into coarser ones: counts add, visitor sketches union.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from tally.web.aggregate.events import RawEvent, is_goal
from tally.web.aggregate.sketch import VisitorSketch
from tally.web.aggregate.visits import Visit
from tally.web.aggregate.zones import Grain

#: Visit-level dimensions (a visit counts once, under its first event's value)
VISIT_DIMENSIONS = ("entry_page", "exit_page", "source", "referrer", "utm_source", "utm_medium", "utm_campaign",
                    "country", "device", "browser", "os")
#: Event-level dimensions
EVENT_DIMENSIONS = ("page", "event:name")
PROPS_PREFIX = "event:props:"
#: A goal's own properties: one dimension per custom event name that carried props, whose values are
#: (key, value) pairs (`goal_prop_value`). `event:props:<key>` mixes every event's props; a goal's
#: breakdown reads only its own dimension, so its cost is that goal's props, not the site's.
GOAL_PROPS_PREFIX = "goal:props:"
_OPTIONAL = {"referrer", "utm_source", "utm_medium", "utm_campaign"}
NOT_SET = "(not set)"


@dataclass(slots=True)
class Stats:
    pageviews: int = 0
    events: int = 0
    visits: int = 0
    bounces: int = 0
    duration_ms: int = 0
    visitors: VisitorSketch = field(default_factory=VisitorSketch)

    def merge(self, other: Stats) -> None:
        self.pageviews += other.pageviews
        self.events += other.events
        self.visits += other.visits
        self.bounces += other.bounces
        self.duration_ms += other.duration_ms
        self.visitors.merge(other.visitors)

    def add_visit(self, visit: Visit) -> None:
        self.visits += 1
        self.bounces += visit.bounced
        self.duration_ms += visit.duration_ms
        self.visitors.add(visit.visitor)

    def counts(self) -> tuple[int, int, int, int, int]:
        return (self.pageviews, self.events, self.visits, self.bounces, self.duration_ms)

    def mark_counts(self) -> tuple[int, int, int, int, int, int]:
        """What a sealed day's mark carries: its counters and its visitor estimate (a day's chart point)."""
        return (*self.counts(), self.visitors.estimate())


@dataclass(slots=True)
class Rollup:
    site_id: str
    grain: Grain
    start_ms: int
    end_ms: int
    totals: Stats = field(default_factory=Stats)
    dims: dict[str, dict[str, Stats]] = field(default_factory=dict)

    def dim(self, name: str, value: str) -> Stats:
        values = self.dims.setdefault(name, {})
        stats = values.get(value)
        if stats is None:
            stats = values[value] = Stats()
        return stats

    def merge(self, other: Rollup) -> None:
        self.totals.merge(other.totals)
        for name, values in other.dims.items():
            for value, stats in values.items():
                self.dim(name, value).merge(stats)


def goal_prop_value(key: str, value: str) -> str:
    """A goal-props dimension's value: the prop's key and value, unambiguous whatever they contain."""
    return json.dumps([key, value], ensure_ascii=False, separators=(",", ":"))


def goal_prop_of(value: str) -> tuple[str, str]:
    key, prop = json.loads(value)
    return str(key), str(prop)


def visit_dimension_values(visit: Visit) -> Iterable[tuple[str, str]]:
    first = visit.first
    yield "entry_page", visit.entry
    yield "exit_page", visit.exit
    for name in VISIT_DIMENSIONS[2:]:
        value = getattr(first, name)
        if value:
            yield name, value
        elif name not in _OPTIONAL:
            yield name, NOT_SET


def compute_rollup(site_id: str, grain: Grain, start_ms: int, end_ms: int, events: Iterable[RawEvent],
                   visits: Iterable[Visit], *, with_dimensions: bool = True) -> Rollup:
    """The rollup of [start_ms, end_ms): `events` and `visits` are filtered to the bucket here."""
    rollup = Rollup(site_id, grain, start_ms, end_ms)
    totals = rollup.totals
    total_visitors: list[str] = []
    for event in events:
        if not start_ms <= event.ts_ms < end_ms:
            continue
        totals.events += 1
        total_visitors.append(event.visitor)
        if event.is_pageview:
            totals.pageviews += 1
        if not with_dimensions:
            continue
        if event.is_pageview:
            page = rollup.dim("page", event.page)
            page.pageviews += 1
            page.events += 1
            page.visitors.add(event.visitor)
        named = rollup.dim("event:name", event.name)
        named.events += 1
        named.pageviews += event.is_pageview
        named.visitors.add(event.visitor)
        for key, value in event.props:
            prop = rollup.dim(PROPS_PREFIX + key, value or NOT_SET)
            prop.events += 1
            prop.visitors.add(event.visitor)
        if event.props and is_goal(event.name):
            goal = GOAL_PROPS_PREFIX + event.name
            for key, value in event.props:
                goal_prop = rollup.dim(goal, goal_prop_value(key, value or NOT_SET))
                goal_prop.events += 1
                goal_prop.visitors.add(event.visitor)
    totals.visitors.add_all(total_visitors)
    for visit in visits:
        if not start_ms <= visit.start_ms < end_ms:
            continue
        totals.visits += 1
        totals.bounces += visit.bounced
        totals.duration_ms += visit.duration_ms
        if with_dimensions:
            for name, value in visit_dimension_values(visit):
                rollup.dim(name, value).add_visit(visit)
    return rollup


def merge_rollups(site_id: str, grain: Grain, start_ms: int, end_ms: int, parts: Iterable[Rollup]) -> Rollup:
    merged = Rollup(site_id, grain, start_ms, end_ms)
    for part in parts:
        merged.merge(part)
    return merged
