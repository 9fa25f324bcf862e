"""The issue's bar: the same 10,000-event import sent three times, in overlapping pieces, leaves
every hour and day rollup equal to a recount of the 10,000 events."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tally.web.aggregate.marking import Aggregator, day_due_at, stream_change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain, bucket_start
from tests.integration.web.aggregate.test_pipeline_exactly_once import read_stream
from tests.integration.web.ingest.test_import_handler import send
from tests.unit.web.aggregate.oracle import OracleEvent, expected_by

TZ = "America/Santiago"


class ImportedEvent(OracleEvent):
    def visitor(self) -> str:
        return self.person  # imported visitors are stable ids: one visitor across days


@pytest.mark.slow
def test_three_overlapping_sends_of_ten_thousand_lines_equal_one_recount(web_env, site):
    s = site("import.example", timezone=TZ)
    rng = random.Random(10_000)
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    lines, truth = [], []
    while len(lines) < 10_000:
        person = f"person-{rng.randrange(700)}"
        t = end - timedelta(seconds=rng.randrange(3 * 86_400))
        for _ in range(rng.choice([1, 1, 2, 3, 5])):
            if len(lines) == 10_000 or t >= end:
                break
            i = len(lines)
            page = rng.choice(["/", "/a", "/b", "/c"])
            lines.append({"id": f"line-{i}", "timestamp": t.isoformat(), "name": "pageview",
                          "url": f"https://import.example{page}", "visitor": person})
            truth.append(ImportedEvent(f"line-{i}", person, int(t.timestamp() * 1000), "pageview", page, True,
                                       "Direct / None"))
            t += timedelta(seconds=rng.choice([30, 300, 1_799, 1_800, 1_801, 2_400]))
    for piece in (lines[:6_000], lines[4_000:], lines):
        status, body = send(s.site_id, piece)
        assert (status, body["rejected"]) == (202, 0), body["errors"][:3]

    marks = DirtyMarks(web_env["RollupsTable"])
    Aggregator(marks).mark(c for c in map(stream_change, read_stream(web_env["EventsTable"])) if c is not None)
    sealed_at = int(datetime.now(UTC).timestamp() * 1000)  # the sealer's own clock is the real one
    Sealer(marks, RawEventStore(web_env["EventsTable"]), RollupStore(web_env["RollupsTable"])).run(
        deadline=lambda: False)

    store = RollupStore(web_env["RollupsTable"])
    span = (int((end - timedelta(days=5)).timestamp() * 1000), int(end.timestamp() * 1000) + 86_400_000)
    hours = {r.start_ms: r.totals for r in store.read_totals(s.site_id, Grain.hour, *span)}
    expected_hours = expected_by(truth, lambda ts: bucket_start(Grain.hour, ts, TZ))
    assert set(expected_hours) <= set(hours)
    for hour, exp in expected_hours.items():
        got = hours[hour]
        assert (got.pageviews, got.visits, got.bounces, got.duration_ms, got.visitors.estimate()) == \
            (exp.pageviews, exp.visits, exp.bounces, exp.duration, len(exp.visitors)), hour
    assert sum(h.pageviews for h in hours.values()) == 10_000
    days = {r.start_ms: r.totals for r in store.read_totals(s.site_id, Grain.day, *span)}
    for day, exp in expected_by(truth, lambda ts: bucket_start(Grain.day, ts, TZ)).items():
        if day_due_at(day, TZ) <= sealed_at:  # days due when the sealer ran (not those ended under 32 min before)
            got = days[day]
            assert (got.pageviews, got.visits, got.visitors.estimate()) == \
                (exp.pageviews, exp.visits, len(exp.visitors)), day
