"""A sealed 30-day overview reads the day marks and two visitor spans, not 30 day rollups — and stays
exact when a late event changes a day, before and after its reseal, and when a span is stale.

Europe/Berlin with the 2026-03-29 DST change (a 23-hour day) inside the range.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from tally.web.aggregate.marking import Aggregator, Change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.sketch import VisitorSketch
from tally.web.aggregate.spans import Span, SpanStore, cover, span_days
from tally.web.aggregate.zones import day_bounds
from tally.web.query.periods import DateRange
from tally.web.query.range_plan import DynamoMarkReader
from tally.web.query.reader import StatsSources
from tally.web.query.service import Interval, overview, timeseries
from tests.integration.web.aggregate.test_pipeline_exactly_once import Clock, to_raw
from tests.unit.web.aggregate.oracle import OracleEvent, expected_by

TZ = "Europe/Berlin"
FIRST, LAST = date(2026, 3, 10), date(2026, 4, 8)  # 30 days, 2026-03-29 has 23 hours
SITE = "span-site"


def traffic() -> list[OracleEvent]:
    rng = random.Random(11)
    start = day_bounds(FIRST - timedelta(days=2), TZ)[0]
    end = day_bounds(LAST + timedelta(days=1), TZ)[1]
    events = []
    for p in range(60):
        t = rng.randint(start, end)
        for i in range(rng.randint(1, 3)):
            t += rng.choice([20_000, 600_000, 1_799_000, 1_800_000])
            events.append(OracleEvent(f"e{p}-{i}", f"u{p % 25}", t, rng.choice(["pageview", "pageview", "signup"]),
                                      rng.choice(["/", "/docs", "/pricing"]), rng.random() > 0.1, "Direct / None"))
    return events


class Pipeline:
    def __init__(self, aws) -> None:
        self.marks = DirtyMarks(aws["RollupsTable"])
        self.raw = RawEventStore(aws["EventsTable"])
        self.rollups = RollupStore(aws["RollupsTable"])
        self.clock = Clock(day_bounds(LAST + timedelta(days=5), TZ)[0])
        self.aws = aws

    def add(self, events: list[OracleEvent]) -> None:
        for event in events:
            self.raw.put(to_raw(SITE, event), expires_at=4_000_000_000, tz=TZ)
        Aggregator(self.marks, now_ms=self.clock).mark(Change(to_raw(SITE, e), TZ) for e in events)

    def seal(self) -> None:
        Sealer(self.marks, self.raw, self.rollups, self.clock).run(deadline=lambda: False)

    def sources(self) -> StatsSources:
        return StatsSources(DynamoMarkReader(self.aws["RollupsTable"]), RollupStore(self.aws["RollupsTable"]),
                            RawEventStore(self.aws["EventsTable"]), self.clock, SpanStore(self.aws["RollupsTable"]))


def expected(events: list[OracleEvent]) -> dict[str, int]:
    exp = expected_by(events, lambda ts: day_bounds(FIRST, TZ)[0] <= ts < day_bounds(LAST, TZ)[1])[True]
    return {"visitors": len(exp.visitors), "visits": exp.visits, "pageviews": exp.pageviews}


def got(sources: StatsSources) -> dict[str, int]:
    body = overview(sources, SITE, TZ, DateRange(FIRST, LAST, TZ), compare=False).results
    return {name: int(body[name].value) for name in ("visitors", "visits", "pageviews")}


def test_a_sealed_30_day_overview_reads_two_spans_exactly_through_stale_spans_and_late_events(aws):
    pipeline = Pipeline(aws)
    events = traffic()
    pipeline.add(events)
    pipeline.seal()

    sources = pipeline.sources()
    assert got(sources) == expected(events)
    assert sources.spans is not None and sources.spans.items_read == 2 == len(cover(FIRST, LAST))
    assert sources.rollups.items_read == 0 and sources.raw_events_read == 0
    assert sources.marks.items_read <= 30  # one day mark per day with events, carrying its counters

    # a span built from other versions than the marks say is not used: its days come from day rollups
    level, end = cover(FIRST, LAST)[0]
    spans = SpanStore(aws["RollupsTable"])
    good = spans.get_many(SITE, [(level, day_bounds(end, TZ)[0])])[(level, day_bounds(end, TZ)[0])]
    stale = VisitorSketch()
    stale.add("nobody")
    spans.put(SITE, level, day_bounds(end, TZ)[0], Span("not-these-versions", stale))
    sources = pipeline.sources()
    assert got(sources) == expected(events)
    assert 0 < sources.rollups.items_read <= len(span_days(end, level))
    spans.put(SITE, level, day_bounds(end, TZ)[0], good)

    # a late event into a sealed day: counted before its day is resealed (its hours, raw), and after
    late = OracleEvent("late-1", "latecomer", day_bounds(date(2026, 3, 29), TZ)[0] + 5 * 3_600_000, "pageview",
                       "/late", True, "Direct / None")
    pipeline.add([late])
    sources = pipeline.sources()
    assert got(sources) == expected([*events, late])
    assert sources.raw_events_read > 0
    pipeline.seal()
    sources = pipeline.sources()
    assert got(sources) == expected([*events, late])
    assert sources.spans is not None and sources.spans.items_read == 2 and sources.rollups.items_read == 0


def test_a_sealed_30_day_chart_reads_day_marks_for_days_and_spans_for_weeks(aws):
    pipeline = Pipeline(aws)
    events = traffic()
    pipeline.add(events)
    pipeline.seal()

    def expected_between(first: date, last: date) -> dict[str, int]:
        inside = expected_by(events, lambda ts: day_bounds(first, TZ)[0] <= ts < day_bounds(last, TZ)[1]).get(True)
        return {"visitors": len(inside.visitors), "visits": inside.visits, "pageviews": inside.pageviews} \
            if inside else {"visitors": 0, "visits": 0, "pageviews": 0}

    sources = pipeline.sources()
    daily = timeseries(sources, SITE, TZ, DateRange(FIRST, LAST, TZ), Interval.day).results
    assert len(daily) == 30
    for point in daily:  # the 23-hour 2026-03-29 included
        day = date.fromisoformat(point.date)
        assert {"visitors": point.visitors, "visits": point.visits, "pageviews": point.pageviews} == \
            expected_between(day, day), day
    assert sources.rollups.items_read == 0 and sources.raw_events_read == 0  # each day's mark is its point

    sources = pipeline.sources()
    weekly = timeseries(sources, SITE, TZ, DateRange(FIRST, LAST, TZ), Interval.week).results
    for point in weekly:
        monday = date.fromisoformat(point.date)
        assert {"visitors": point.visitors, "visits": point.visits, "pageviews": point.pageviews} == \
            expected_between(max(monday, FIRST), min(monday + timedelta(days=6), LAST)), monday
    assert sources.rollups.items_read == 0 and sources.spans.items_read > 0  # weeks from spans, not day rollups
