"""Changing a site's time zone loses nothing: every answer equals a brute-force recount in the site's
zone of the moment — right after the change, at moments part-way through re-bucketing (the job and
the sealer driven a few marks at a time), and after it — over sealed and unsealed data.

Europe/Berlin → Asia/Kolkata (hours at :30: no old hour rollup is valid) → America/Santiago (hours
coincide with Berlin's, days do not; 2022-09-11 has no midnight: DST starts), the second change made
while the first re-bucketing runs; then back and forth quickly, with events still stored under the
old zone after a change (a cached site), as ingest may do for a minute.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tally.sites.model import SiteCreate
from tally.sites.service import create_site
from tally.sites.wiring import site_store
from tally.web.aggregate.marking import Aggregator, stream_change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rebucket import SETTLE_MS, Rebucketer
from tally.web.aggregate.rebucket_requests import RebucketRequests
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import HOUR_MS, day_bounds, hours_of_day
from tally.web.query.metrics import bounce_rate, views_per_visit, visit_duration
from tally.web.query.range_plan import DynamoMarkReader
from tally.web.query.reader import StatsSources
from tally.web.query.settings import stats_settings
from tests.apigw import FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module
from tests.integration.sites.conftest import sites_call
from tests.integration.web.aggregate.test_pipeline_exactly_once import Clock, read_stream, to_raw
from tests.unit.web.aggregate.oracle import OracleEvent, expected_by, expected_goal_props

BERLIN, KOLKATA, SANTIAGO = "Europe/Berlin", "Asia/Kolkata", "America/Santiago"
FIRST, LAST = date(2022, 9, 10), date(2022, 9, 12)
T0 = int(datetime(2022, 9, 9, 12, tzinfo=UTC).timestamp() * 1000)
T1 = int(datetime(2022, 9, 13, 12, tzinfo=UTC).timestamp() * 1000)
CUT = int(datetime(2022, 9, 12, 10, tzinfo=UTC).timestamp() * 1000)  # sealed before, only marked after
LATER = CUT + 9 * HOUR_MS  # the sealer's clock once the zone changed: some of the new buckets stay open


def traffic(seed: int, count: int, prefix: str) -> list[OracleEvent]:
    rng = random.Random(seed)
    events = []
    for p in range(count):
        t = T0 + rng.randint(0, T1 - T0 - 12 * HOUR_MS)
        for i in range(rng.randint(1, 5)):
            t += rng.choice([5_000, 240_000, 1_799_000, 1_800_000, 2 * HOUR_MS + 1_000])
            name = rng.choice(["pageview", "pageview", "signup"])
            events.append(OracleEvent(f"{prefix}{p}-{i}", f"u{p % 23}", t, name,
                                      rng.choice(["/", "/pricing", "/blog/x"]), rng.random() > 0.1,
                                      rng.choice(["Google", "Direct / None", "Twitter"]),
                                      (("plan", rng.choice(["free", "pro"])),) if name == "signup" else ()))
    return events


class Site:
    """A site with its raw events, marks and stores, and the brute-force truth of what was stored."""

    def __init__(self, aws: Any, org: str) -> None:
        self.aws, self.org = aws, org
        self.site_id = create_site(site_store(), org, SiteCreate(domain=f"{org}.example.com", timezone=BERLIN,
                                                                  retention_days=3650)).site_id
        self.events: list[OracleEvent] = []
        self.seen: set[str] = set()
        self.marks = DirtyMarks(aws["RollupsTable"])
        self.raw = RawEventStore(aws["EventsTable"])
        self.rollups = RollupStore(aws["RollupsTable"])
        self.requests = RebucketRequests(aws["RollupsTable"])
        # the change counts as settled at once (events under the old zone are stored before the job runs)
        self.job = Rebucketer(self.requests, self.marks, site_store(),
                              now_ms=lambda: int(time.time() * 1000) + SETTLE_MS + 1)

    @property
    def zone(self) -> str:
        site = site_store().get(self.org, self.site_id)
        assert site is not None
        return site.timezone

    def store(self, events: list[OracleEvent], tz: str) -> None:
        """Store events under zone `tz` (what ingest copies into them) and mark them from the stream."""
        for event in events:
            self.raw.put(to_raw(self.site_id, event), expires_at=4_000_000_000, tz=tz)
        records = [r for r in read_stream(self.aws["EventsTable"]) if self.site_id in r["dynamodb"]["Keys"]["pk"]["S"]
                   and r["dynamodb"]["Keys"]["sk"]["S"] not in self.seen]
        self.seen.update(r["dynamodb"]["Keys"]["sk"]["S"] for r in records)
        Aggregator(self.marks).mark(c for c in map(stream_change, records) if c is not None)
        self.events += events

    def seal(self, now_ms: int, budget: Callable[[], bool] = lambda: False) -> None:
        Sealer(self.marks, self.raw, self.rollups, Clock(now_ms)).run(deadline=budget, page=20)

    def change_zone(self, zone: str) -> None:
        answer = sites_call("PATCH", self.site_id, org=self.org, body={"timezone": zone})
        assert answer.status == 200 and answer.body["timezone"] == zone, answer.body

    def rebucketing(self) -> bool:
        return any(r.site_id == self.site_id for r in self.requests.pending(100))


def steps(n: int) -> Callable[[], bool]:
    """A deadline that lets a job take `n` steps (each check of the deadline is one)."""
    left = iter(range(n))
    return lambda: next(left, None) is None


def get(site: Site, kind: str, **query: str) -> dict[str, Any]:
    path = f"/api/v1/sites/{site.site_id}/stats/{kind}"
    response = load_handler_module("StatsFunction").lambda_handler(
        http_event("GET", path, route="/api/v1/sites/{site_id}/stats/" + kind, query=query,
                   claims=caller_claims(site.org)), FakeContext())
    body = json.loads(response["body"])
    assert response["statusCode"] == 200, body
    return dict(body)


def expected_metrics(events: list[OracleEvent], start: int, end: int) -> tuple[int, int, int, int, int]:
    exp = expected_by(events, lambda ts: start <= ts < end).get(True)
    if exp is None:
        return (0, 0, 0, 0, 0)
    return (len(exp.visitors), exp.visits, exp.pageviews, bounce_rate(exp.bounces, exp.visits),
            visit_duration(exp.duration, exp.visits))


def assert_exact(site: Site, moment: str, *, full: bool = False) -> None:
    """The overview, the daily series and the entry-page breakdown of FIRST..LAST in the site's zone of
    the moment, each equal to the brute-force recount; `full` adds the overview again (it may be a kept
    answer), the hours of Santiago's DST day and the page breakdown."""
    zone = site.zone
    days = {"period": "custom", "from": FIRST.isoformat(), "to": LAST.isoformat()}
    start, end = day_bounds(FIRST, zone)[0], day_bounds(LAST, zone)[1]
    want = expected_metrics(site.events, start, end)
    for attempt in ("computed", "again")[:2 if full else 1]:
        body = get(site, "overview", **days)
        assert body["range"]["tz"] == zone
        got = body["results"]
        assert (got["visitors"]["value"], got["visits"]["value"], got["pageviews"]["value"],
                got["bounce_rate"]["value"], got["visit_duration"]["value"]) == want, (moment, zone, attempt)
        assert got["views_per_visit"]["value"] == views_per_visit(want[2], want[1])
    series = get(site, "timeseries", interval="day", **days)["results"]
    assert [p["date"] for p in series] == [(FIRST + timedelta(days=i)).isoformat() for i in range(3)]
    for point in series:
        bounds = day_bounds(date.fromisoformat(point["date"]), zone)
        assert (point["visitors"], point["visits"], point["pageviews"], point["bounce_rate"],
                point["visit_duration"]) == expected_metrics(site.events, *bounds), (moment, zone, point["date"])
    dst_day = date(2022, 9, 11)
    points = get(site, "timeseries", interval="hour", period="day", date=dst_day.isoformat())["results"] \
        if full else []
    assert not full or len(points) == len(hours_of_day(dst_day, zone))
    for point in points:
        hour = int(datetime.fromisoformat(point["date"]).timestamp() * 1000)
        assert (point["visitors"], point["visits"], point["pageviews"]) == \
            expected_metrics(site.events, hour, hour + HOUR_MS)[:3], (moment, zone, point["date"])
    if full:  # a goal's own props (the dashboard's click on a goal), re-bucketed like every dimension
        rows = get(site, "breakdown", property="event:props:plan", filters="event:goal==signup", **days)["results"]
        assert {r["value"]: (r["visitors"], r["events"]) for r in rows} == {
            value: (len(e.visitors), e.events) for (inside, goal, key, value), e in
            expected_goal_props(site.events, lambda ts: start <= ts < end).items() if inside}, (moment, zone)
        assert rows, moment
    for prop in ("entry_page", "page")[:2 if full else 1]:
        rows = get(site, "breakdown", property=prop, limit="100", **days)["results"]
        expected = {value: e for (inside, value), e in
                    expected_by(site.events, lambda ts: start <= ts < end, prop).items() if inside}
        if prop == "page":
            assert {r["value"]: (r["visitors"], r["pageviews"]) for r in rows} == \
                {v: (len(e.visitors), e.pageviews) for v, e in expected.items()}, (moment, zone)
        else:
            assert {r["value"]: (r["visitors"], r["visits"], r["bounce_rate"]) for r in rows} == \
                {v: (len(e.visitors), e.visits, bounce_rate(e.bounces, e.visits)) for v, e in expected.items()}, \
                (moment, zone)


def rebucket_step_by_step(site: Site, moment: str, *, job_steps: int, seal_steps: int, max_rounds: int = 40) -> int:
    """Drive the job and the sealer a few steps at a time until the re-bucketing is done, checking
    every answer after each round; returns the rounds taken."""
    for round_ in range(1, max_rounds + 1):
        site.job.run(deadline=steps(job_steps), page=20)
        site.seal(LATER, steps(seal_steps))
        assert_exact(site, f"{moment}, round {round_}", full=round_ == 1)
        if not site.rebucketing():
            return round_
    raise AssertionError(f"{moment}: re-bucketing did not finish in {max_rounds} rounds")


@pytest.fixture
def tz_env(aws) -> Any:
    stats_settings.cache_clear()
    yield aws
    stats_settings.cache_clear()


def a_berlin_site_half_sealed(aws: Any, org: str) -> Site:
    site = Site(aws, org)
    events = traffic(seed=11, count=24, prefix="e")
    site.store([e for e in events if e.ts_ms < CUT - HOUR_MS], BERLIN)
    site.seal(CUT)
    site.store([e for e in events if e.ts_ms >= CUT - HOUR_MS], BERLIN)
    return site


def test_berlin_to_kolkata_to_santiago_stays_exact_before_during_and_after_rebucketing(tz_env):
    site = a_berlin_site_half_sealed(tz_env, "org-tz-change")
    assert_exact(site, "before any change", full=True)

    site.change_zone(KOLKATA)
    assert_exact(site, "right after the change to Kolkata, nothing re-bucketed", full=True)
    # late traffic: an event stored under the old zone by a cached site, another under the new one
    site.store([OracleEvent("late-berlin", "late1", CUT - 30 * HOUR_MS, "pageview", "/late", True, "Google")], BERLIN)
    site.store([OracleEvent("late-kolkata", "late2", CUT - 50 * HOUR_MS, "pageview", "/late", True, "Google")],
               KOLKATA)
    for round_ in range(2):  # part-way through, then change again while it runs
        site.job.run(deadline=steps(40), page=20)
        site.seal(LATER, steps(40))
        assert_exact(site, f"Kolkata, round {round_}")
    assert site.rebucketing()

    site.change_zone(SANTIAGO)
    assert_exact(site, "right after the change to Santiago, Kolkata half re-bucketed", full=True)
    site.store([OracleEvent("late-kolkata-2", "late3", CUT - 20 * HOUR_MS, "signup", "/x", True, "Twitter")],
               KOLKATA)
    rounds = rebucket_step_by_step(site, "Santiago", job_steps=40, seal_steps=60)
    assert rounds > 2  # the checks above really ran part-way through

    site.seal(LATER)  # everything due by then sealed: sealed Santiago days are read from their rollups
    assert_exact(site, "Santiago, re-bucketed and sealed", full=True)
    sources = StatsSources(DynamoMarkReader(tz_env["RollupsTable"]), RollupStore(tz_env["RollupsTable"]),
                           RawEventStore(tz_env["EventsTable"]), Clock(int(time.time() * 1000)))
    start, end = day_bounds(FIRST, SANTIAGO)[0], day_bounds(LAST, SANTIAGO)[1]
    plan = sources.plan(site.site_id, SANTIAGO, start, end)
    assert [s for s, _ in plan.days] == [day_bounds(d, SANTIAGO)[0] for d in (FIRST, FIRST + timedelta(days=1))]
    assert all(s >= LATER - 2 * HOUR_MS for s, _ in plan.raw)  # raw events only where the sealer's clock stopped


def test_changing_back_and_forth_quickly_stays_exact(tz_env):
    site = a_berlin_site_half_sealed(tz_env, "org-tz-flip")
    site.job.run(deadline=lambda: False)
    other_container = Rebucketer(RebucketRequests(tz_env["RollupsTable"]), DirtyMarks(tz_env["RollupsTable"]),
                                 site_store(), now_ms=site.job.now_ms)
    for zone, old in ((KOLKATA, BERLIN), (BERLIN, KOLKATA), (KOLKATA, BERLIN), (SANTIAGO, KOLKATA)):
        site.change_zone(zone)
        assert_exact(site, f"right after the change to {zone}")
        site.store([OracleEvent(f"stale-{zone}", "stale", CUT - 40 * HOUR_MS, "pageview", "/s", True, "Google")], old)
        site.job.run(deadline=steps(30), page=10)
        other_container.run(deadline=steps(30), page=10)  # a second run at once, from the same checkpoint
        site.seal(LATER, steps(30))
        assert_exact(site, f"{zone}, one step in")
    rebucket_step_by_step(site, "back and forth, then Santiago", job_steps=1000, seal_steps=1000)
    site.seal(LATER)
    assert_exact(site, "settled in Santiago", full=True)


def test_a_zone_change_through_the_api_is_a_request_the_job_finishes_and_drops_for_a_deleted_site(tz_env):
    site = Site(tz_env, "org-tz-request")
    assert not site.rebucketing()
    site.change_zone(KOLKATA)
    assert site.rebucketing()
    report = site.job.run(deadline=lambda: False)
    assert report.finished == 1 and not site.rebucketing()  # no marks: nothing to carry
    answer = sites_call("PATCH", site.site_id, org=site.org, body={"retention_days": 400})
    assert answer.status == 200 and not site.rebucketing()  # only a zone change asks for re-bucketing
    site.change_zone(SANTIAGO)
    assert sites_call("DELETE", site.site_id, org=site.org).status == 202
    report = site.job.run(deadline=lambda: False)
    assert report.finished == 1 and not site.rebucketing()
