"""Sealing keeps the public platform totals exactly once: pageviews and visit seconds equal the sum
over the sealed hours, after reseals caused by late events, replays and runs twice."""

from __future__ import annotations

import boto3

from tally.totals.store import DynamoTotals
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Aggregator, Change, Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain, bucket_start
from tests.integration.web.aggregate.test_pipeline_exactly_once import BASE, TZ, Clock, to_raw
from tests.unit.web.aggregate.oracle import OracleEvent

MIN = 60_000


def test_platform_totals_follow_every_reseal_exactly_once(aws):
    totals = DynamoTotals(aws["PublicStatsTable"], boto3.client("dynamodb"))
    rollups = RollupStore(aws["RollupsTable"], totals=totals)
    raw, marks = RawEventStore(aws["EventsTable"]), DirtyMarks(aws["RollupsTable"])
    h0 = bucket_start(Grain.hour, BASE, TZ)

    def ingest(events):
        for e in events:
            raw.put(to_raw("totals-site", e), 4_000_000_000, tz=TZ)
        Aggregator(marks).mark(Change(to_raw("totals-site", e), TZ) for e in events)

    def seal(clock):
        for _ in range(3):  # reseal cascades, and runs repeated: nothing may count twice
            Sealer(marks, raw, rollups, clock).run(deadline=lambda: False)

    first = [OracleEvent("a1", "bob", h0 + 10 * MIN, "pageview", "/", True, "Google")]
    second = [OracleEvent("b1", "bob", h0 + 62 * MIN, "pageview", "/b", True, "Google"),
              OracleEvent("b2", "bob", h0 + 80 * MIN, "pageview", "/c", True, "Google")]
    others = [OracleEvent(f"o{i}", f"p{i % 4}", h0 + i * 9 * MIN, "pageview", "/", True, "Google") for i in range(30)]
    ingest(first + second + others)
    clock = Clock(h0 + 12 * 3_600_000)
    seal(clock)
    # a late event joins bob's two visits: the second visit's duration moves to the first hour
    ingest([OracleEvent("bridge", "bob", h0 + 36 * MIN, "pageview", "/bridge", True, "Google")])
    clock.ms += 3_600_000
    seal(clock)

    hours = rollups.read_totals("totals-site", Grain.hour, h0 - 86_400_000, h0 + 86_400_000)
    recorded = totals.read()
    assert recorded.pageviews == sum(h.totals.pageviews for h in hours) == 34
    assert recorded.net_visit_seconds == sum(h.totals.duration_ms // 1000 for h in hours)
    assert recorded.visit_seconds_removed > 0  # the move was taken back, not ignored
