"""Late events reopen sealed hours (and the hours where their visits began); two sealers converge."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tally.web.aggregate.marking import Aggregator, Change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain, bucket_start
from tests.integration.web.aggregate.test_pipeline_exactly_once import BASE, TZ, Clock, to_raw
from tests.unit.web.aggregate.oracle import OracleEvent, expected_by

MIN = 60_000


def ingest(aws, site, events):
    raw, marks = RawEventStore(aws["EventsTable"]), DirtyMarks(aws["RollupsTable"])
    for event in events:
        raw.put(to_raw(site, event), expires_at=4_000_000_000, tz=TZ)
    Aggregator(marks).mark(Change(to_raw(site, e), TZ) for e in events)


def assert_hours_match(aws, site, events):
    rollups = RollupStore(aws["RollupsTable"])
    hours = {r.start_ms: r.totals for r in rollups.read(site, Grain.hour, BASE - 86_400_000, BASE + 86_400_000 * 3)}
    expected = expected_by(events, lambda ts: bucket_start(Grain.hour, ts, TZ))
    for hour, exp in expected.items():
        got = hours[hour]
        assert (got.pageviews, got.visits, got.bounces, got.duration_ms, got.visitors.estimate()) == \
            (exp.pageviews, exp.visits, exp.bounces, exp.duration, len(exp.visitors)), hour
    for hour, got in hours.items():  # and no hour holds visits that the oracle puts elsewhere
        if hour not in expected:
            assert got.visits == 0 and got.pageviews == 0, hour


def test_a_late_event_extends_a_visit_sealed_hours_ago(aws):
    site = "late-site"
    h0 = bucket_start(Grain.hour, BASE, TZ)
    # a visit from h0+50min with events every 20 minutes for 3 hours: it crosses hour edges
    events = [OracleEvent(f"e{i}", "ann", h0 + 50 * MIN + i * 20 * MIN, "pageview", f"/p{i % 3}", True, "Google")
              for i in range(10)]
    ingest(aws, site, events)
    clock = Clock(events[-1].ts_ms + 6 * 3_600_000)
    sealer = Sealer(DirtyMarks(aws["RollupsTable"]), RawEventStore(aws["EventsTable"]),
                    RollupStore(aws["RollupsTable"]), clock)
    sealer.run(deadline=lambda: False)
    assert_hours_match(aws, site, events)
    # hours later, an event arrives that continues the visit 25 minutes after its last event
    late = OracleEvent("late", "ann", events[-1].ts_ms + 25 * MIN, "pageview", "/late", True, "Google")
    ingest(aws, site, [late])
    clock.ms += 3_600_000
    for _ in range(3):  # the reseal cascades back to the hour where the visit began
        sealer.run(deadline=lambda: False)
    assert_hours_match(aws, site, [*events, late])


def test_a_late_event_that_joins_two_visits_moves_the_second_visit_into_the_first(aws):
    site = "join-site"
    h0 = bucket_start(Grain.hour, BASE, TZ)
    first = [OracleEvent("a1", "bob", h0 + 10 * MIN, "pageview", "/", True, "Google")]
    second = [OracleEvent("b1", "bob", h0 + 70 * MIN, "pageview", "/b", True, "Direct / None"),
              OracleEvent("b2", "bob", h0 + 75 * MIN, "pageview", "/c", True, "Direct / None")]
    ingest(aws, site, first + second)
    clock = Clock(h0 + 10 * 3_600_000)
    sealer = Sealer(DirtyMarks(aws["RollupsTable"]), RawEventStore(aws["EventsTable"]),
                    RollupStore(aws["RollupsTable"]), clock)
    sealer.run(deadline=lambda: False)
    assert_hours_match(aws, site, first + second)
    bridge = OracleEvent("bridge", "bob", h0 + 40 * MIN, "pageview", "/bridge", True, "Google")
    ingest(aws, site, [bridge])
    for _ in range(3):
        sealer.run(deadline=lambda: False)
    assert_hours_match(aws, site, [*first, bridge, *second])


def test_two_sealers_at_once_converge_on_the_recount(aws_server):
    aws = aws_server
    site = "twin-site"
    h0 = bucket_start(Grain.hour, BASE, TZ)
    events = [OracleEvent(f"t{i}", f"v{i % 7}", h0 + i * 7 * MIN, "pageview", f"/{i % 4}", True, "Google")
              for i in range(40)]
    ingest(aws, site, events)
    clock = Clock(events[-1].ts_ms + 5 * 3_600_000)
    barrier = threading.Barrier(2)

    def run_sealer(_):
        sealer = Sealer(DirtyMarks(aws["RollupsTable"]), RawEventStore(aws["EventsTable"]),
                        RollupStore(aws["RollupsTable"]), clock)
        barrier.wait()
        return sealer.run(deadline=lambda: False)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run_sealer, range(2)))
    # whatever interleaving happened, a further run leaves nothing due and the rollups are exact
    Sealer(DirtyMarks(aws["RollupsTable"]), RawEventStore(aws["EventsTable"]),
           RollupStore(aws["RollupsTable"]), clock).run(deadline=lambda: False)
    assert DirtyMarks(aws["RollupsTable"]).due(Grain.hour, clock.ms, 10) == []
    assert_hours_match(aws, site, events)
