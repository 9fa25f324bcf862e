"""The aggregation pipeline against moto: rollups equal the oracle after hostile deliveries.

Raw events go through the DynamoDB stream of the template's EventsTable (moto implements
streams), are marked by the aggregator in batches that we duplicate, replay and split, and are
sealed by jobs that crash between writes, run twice and run two at once. Then every hour and
day rollup must equal a brute-force recount.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.marking import Aggregator, stream_change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain, bucket_start
from tests.unit.web.aggregate.oracle import OracleEvent, expected_by, expected_goal_props_in, goal_props_of

TZ = "America/Santiago"
BASE = int(datetime(2022, 9, 10, 18, tzinfo=UTC).timestamp() * 1000)  # DST change inside the range
PROPS = [(), (("plan", "free"),), (("plan", "pro"), ("seats", "3"))]


def to_raw(site: str, e: OracleEvent) -> RawEvent:
    day = datetime.fromtimestamp(e.ts_ms / 1000, UTC).date()
    return RawEvent(e.event_id, site, e.ts_ms, e.name, f"{e.person}@{day}", e.page,
                    alt_visitor=f"{e.person}@{day - timedelta(days=1)}", interactive=e.interactive,
                    source=e.source, props=e.props)


class Clock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


class CrashingRollups(RollupStore):
    """A rollup store whose process 'dies' after n writes (as a Lambda timeout would)."""

    def __init__(self, table: str, crash_after: int) -> None:
        super().__init__(table)
        self.left = crash_after

    def _put(self, item, version):
        if self.left == 0:
            raise SystemExit("crashed between two writes")
        self.left -= 1
        super()._put(item, version)


def read_stream(table: str) -> list[dict]:
    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records.extend(page["Records"])
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return records


@st.composite
def traffic(draw):
    events = []
    for p in range(draw(st.integers(1, 6))):
        t = BASE + draw(st.integers(0, 30 * 3_600_000))
        for i in range(draw(st.integers(1, 8))):
            t += draw(st.sampled_from([1_000, 300_000, 1_799_000, 1_800_000, 2_400_000]))
            events.append(OracleEvent(f"p{p}e{i}", f"u{p}", t, draw(st.sampled_from(["pageview", "signup"])),
                                      draw(st.sampled_from(["/", "/a", "/b"])), True,
                                      draw(st.sampled_from(["Google", "Direct / None"])),
                                      draw(st.sampled_from(PROPS))))
    return events, draw(st.randoms(use_true_random=False))


def run_hostile_pipeline(aws, site: str, events: list[OracleEvent], rng: random.Random) -> RollupStore:
    raw = RawEventStore(aws["EventsTable"])
    marks = DirtyMarks(aws["RollupsTable"])
    rollups = RollupStore(aws["RollupsTable"])
    # ingest: duplicated deliveries (the same event stored twice is one item)
    for event in events + rng.sample(events, k=min(3, len(events))):
        raw.put(to_raw(site, event), expires_at=4_000_000_000, tz=TZ)
    records = [r for r in read_stream(aws["EventsTable"]) if site in r["dynamodb"]["Keys"]["pk"]["S"]]
    aggregator = Aggregator(marks)
    # deliveries: batches bisected, some replayed whole
    batches, i = [], 0
    while i < len(records):
        size = rng.randint(1, 7)
        batches.append(records[i:i + size])
        i += size
    for batch in batches + rng.sample(batches, k=min(2, len(batches))):
        half = len(batch) // 2 or 1
        for part in (batch[:half], batch[half:]):
            aggregator.mark(c for c in map(stream_change, part) if c is not None)
    # seal: a crash between two writes, then the job twice over
    clock = Clock(max(e.ts_ms for e in events) + 3 * 3_600_000 + 86_400_000 * 2)
    crashing = Sealer(marks, raw, CrashingRollups(aws["RollupsTable"], crash_after=rng.randint(0, 5)), clock)
    with pytest.raises(SystemExit):
        crashing.run(deadline=lambda: False)
    sealer = Sealer(marks, raw, rollups, clock)
    for _ in range(2):
        sealer.run(deadline=lambda: False)
    return rollups


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(case=traffic(), run=st.uuids())
def test_rollups_equal_a_recount_after_hostile_delivery_and_sealing(aws, case, run):
    events, rng = case
    site = f"site-{run.hex[:8]}"
    rollups = run_hostile_pipeline(aws, site, events, rng)
    span = (BASE - 86_400_000, BASE + 5 * 86_400_000)
    hours = {r.start_ms: r for r in rollups.read(site, Grain.hour, *span)}
    for hour, exp in expected_by(events, lambda ts: bucket_start(Grain.hour, ts, TZ)).items():
        got = hours[hour].totals
        assert (got.pageviews, got.events, got.visits, got.bounces, got.duration_ms, got.visitors.estimate()) == \
            (exp.pageviews, exp.events, exp.visits, exp.bounces, exp.duration, len(exp.visitors))
    days = {r.start_ms: r for r in rollups.read(site, Grain.day, *span)}
    for day, exp in expected_by(events, lambda ts: bucket_start(Grain.day, ts, TZ)).items():
        got = days[day].totals
        assert (got.pageviews, got.visits, got.bounces, got.duration_ms, got.visitors.estimate()) == \
            (exp.pageviews, exp.visits, exp.bounces, exp.duration, len(exp.visitors))
    for (day, page), exp in expected_by(events, lambda ts: bucket_start(Grain.day, ts, TZ), "page").items():
        got = days[day].dims["page"][page]
        assert (got.pageviews, got.visitors.estimate()) == (exp.pageviews, len(exp.visitors))
    # each goal's own props (what a click on a goal shows), hour by hour and day by day
    for grain, buckets in ((Grain.hour, hours), (Grain.day, days)):
        starts = {bucket_start(grain, e.ts_ms, TZ) for e in events}
        for start in starts:
            assert goal_props_of(buckets[start]) == expected_goal_props_in(
                events, lambda ts, grain=grain: bucket_start(grain, ts, TZ), start)
