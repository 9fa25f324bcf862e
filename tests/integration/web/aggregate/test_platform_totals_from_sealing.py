"""Sealing keeps the public platform totals exactly once: pageviews and visit durations equal a
brute-force recount of the sealed events, after reseals caused by late events, replayed and
duplicated seals, a slow seal overtaken by a newer one, and time-zone changes whose hours do not
line up (Berlin → Kolkata at :30 → Lord Howe, whose DST moves by 30 minutes → Santiago), over
sealed and unsealed data, at every step of the re-bucketing."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from tally.public_stats.figures import figures_from, hours
from tally.sites.model import SiteCreate
from tally.sites.service import create_site
from tally.sites.wiring import site_store
from tally.totals.slots import record_total
from tally.totals.store import DynamoTotals
from tally.web.aggregate.marking import Aggregator, Change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rebucket import SETTLE_MS, Rebucketer
from tally.web.aggregate.rebucket_requests import RebucketRequests
from tally.web.aggregate.rollup_store import RollupStore, StaleSeal
from tally.web.aggregate.zones import HOUR_MS, Grain, bucket_end, bucket_start
from tests.integration.sites.conftest import sites_call
from tests.integration.web.aggregate.test_pipeline_exactly_once import BASE, TZ, Clock, to_raw
from tests.unit.web.aggregate.oracle import OracleEvent, oracle_visits

MIN = 60_000
BERLIN, KOLKATA, SANTIAGO, LORD_HOWE = "Europe/Berlin", "Asia/Kolkata", "America/Santiago", "Australia/Lord_Howe"
#: Santiago's DST start (2022-09-11 04:00 UTC: no local midnight) and Lord Howe's (2022-10-01 15:30
#: UTC: local 02:00 → 02:30, so its hour starting at 15:30 UTC lasts 30 minutes, where Kolkata's lasts 60)
SANTIAGO_DST = int(datetime(2022, 9, 11, 4, tzinfo=UTC).timestamp() * 1000)
LORD_HOWE_DST = int(datetime(2022, 10, 1, 15, 30, tzinfo=UTC).timestamp() * 1000)
FAR = LORD_HOWE_DST + 3 * 86_400_000  # a clock by which every visit has ended


def truth(events: list[OracleEvent]) -> tuple[int, int]:
    """Brute force: pageviews and the sum of visit durations (ms) of `events`."""
    unique = list({e.event_id: e for e in events}.values())
    return (sum(e.name == "pageview" for e in unique), sum(v.duration for v in oracle_visits(unique)))


class Platform:
    """One site's raw events, marks, sealer and re-bucketing job, and the platform totals they keep."""

    def __init__(self, aws: Any, org: str, zone: str) -> None:
        self.org = org
        self.client = boto3.client("dynamodb")
        self.totals = DynamoTotals(aws["PublicStatsTable"], self.client)
        self.site_id = create_site(site_store(), org, SiteCreate(domain=f"{org}.example.com", timezone=zone,
                                                                  retention_days=3650), totals=self.totals).site_id
        self.rollups = RollupStore(aws["RollupsTable"], self.client, totals=self.totals)
        self.raw, self.marks = RawEventStore(aws["EventsTable"]), DirtyMarks(aws["RollupsTable"])
        self.requests = RebucketRequests(aws["RollupsTable"])
        self.job = Rebucketer(self.requests, self.marks, site_store(),
                              now_ms=lambda: int(time.time() * 1000) + SETTLE_MS + 1)  # the change counts as settled
        self.events: list[OracleEvent] = []
        self.table = aws["PublicStatsTable"]

    def store(self, events: list[OracleEvent], zone: str) -> None:
        """Store events under `zone` (what ingest copies into them) and mark their hours, twice (a
        stream batch delivered again)."""
        for e in events:
            self.raw.put(to_raw(self.site_id, e), 4_000_000_000, tz=zone)
        for _ in range(2):
            Aggregator(self.marks).mark(Change(to_raw(self.site_id, e), zone) for e in events)
        self.events += events

    def seal(self, now_ms: int = FAR, deadline: Callable[[], bool] = lambda: False) -> None:
        Sealer(self.marks, self.raw, self.rollups, Clock(now_ms)).run(deadline=deadline, page=15)

    def change_zone(self, zone: str) -> None:
        answer = sites_call("PATCH", self.site_id, org=self.org, body={"timezone": zone})
        assert answer.status == 200, answer.body

    def rebucketing(self) -> bool:
        return any(r.site_id == self.site_id for r in self.requests.pending(100))

    def slot_records(self) -> list[dict[str, Any]]:
        response = self.client.query(TableName=self.table, KeyConditionExpression="pk = :pk",
                                     ExpressionAttributeValues={":pk": {"S": f"contribution#web#{self.site_id}"}})
        return list(response["Items"])

    def assert_counted(self, moment: str, events: list[OracleEvent] | None = None) -> None:
        """The public figures equal the brute-force recount of `events` (default: all stored)."""
        pageviews, visit_ms = truth(self.events if events is None else events)
        recorded = self.totals.read()
        assert (recorded.pageviews, recorded.visit_ms) == (pageviews, visit_ms), moment
        assert record_total(self.slot_records()) == replace(recorded, sites=0)  # the shards hold what the slots say
        figures = figures_from(recorded, datetime.now(UTC))
        assert (figures.sites, figures.pageviews, figures.hours_recorded) == (1, pageviews, hours(visit_ms)), moment

    def assert_never_over(self, moment: str) -> None:
        """Part-way: what is counted is sealed data, each slot once: never more than the recount."""
        pageviews, visit_ms = truth(self.events)
        recorded = self.totals.read()
        assert recorded.pageviews <= pageviews and recorded.visit_ms <= visit_ms, moment
        assert record_total(self.slot_records()) == replace(recorded, sites=0), moment


def steps(n: int) -> Callable[[], bool]:
    left = iter(range(n))
    return lambda: next(left, None) is None


def cluster(prefix: str, around_ms: int, people: int = 4) -> list[OracleEvent]:
    """Visits of a few people around an instant, with gaps under and over 30 minutes, crossing :00
    and :30, with pageviews and other events."""
    gaps = [0, 7 * MIN, 20 * MIN, 29 * MIN, 31 * MIN, 12 * MIN, 45 * MIN, 3 * MIN]
    events = []
    for p in range(people):
        t = around_ms - 100 * MIN + p * 17 * MIN
        for i, gap in enumerate(gaps):
            t += gap + p * 1_000
            events.append(OracleEvent(f"{prefix}{p}-{i}", f"{prefix}u{p}", t, "signup" if i % 3 == 2 else "pageview",
                                      "/", True, "Google"))
    return events


def test_platform_totals_follow_every_reseal_exactly_once(aws):
    totals = DynamoTotals(aws["PublicStatsTable"], boto3.client("dynamodb"))
    rollups = RollupStore(aws["RollupsTable"], totals=totals)
    raw, marks = RawEventStore(aws["EventsTable"]), DirtyMarks(aws["RollupsTable"])
    h0 = bucket_start(Grain.hour, BASE, TZ)
    stored: list[OracleEvent] = []

    def ingest(events):
        for e in events:
            raw.put(to_raw("totals-site", e), 4_000_000_000, tz=TZ)
        Aggregator(marks).mark(Change(to_raw("totals-site", e), TZ) for e in events)
        stored.extend(events)

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
    assert (totals.read().pageviews, totals.read().visit_ms) == truth(stored)
    # a late event joins bob's two visits: the second visit's duration moves to the first hour
    ingest([OracleEvent("bridge", "bob", h0 + 36 * MIN, "pageview", "/bridge", True, "Google")])
    clock.ms += 3_600_000
    seal(clock)

    hours_ = rollups.read_totals("totals-site", Grain.hour, h0 - 86_400_000, h0 + 86_400_000)
    recorded = totals.read()
    assert recorded.pageviews == sum(h.totals.pageviews for h in hours_) == 34
    assert (recorded.pageviews, recorded.visit_ms) == truth(stored)
    assert recorded.visit_ms == sum(h.totals.duration_ms for h in hours_)


def test_platform_totals_stay_exactly_once_through_zone_changes_that_do_not_line_up(aws):
    site = Platform(aws, "org-totals-tz", BERLIN)
    santiago, lord_howe = cluster("s", SANTIAGO_DST), cluster("l", LORD_HOWE_DST)
    sealed_first = santiago[: len(santiago) // 2] + lord_howe[: len(lord_howe) // 2]
    site.store(sealed_first, BERLIN)
    site.seal()
    site.assert_counted("Berlin, sealed")
    site.store(santiago[len(santiago) // 2:], BERLIN)  # stored and marked, not sealed yet

    moments = 0
    for zone, old in ((KOLKATA, BERLIN), (LORD_HOWE, KOLKATA), (SANTIAGO, LORD_HOWE)):
        site.change_zone(zone)
        site.assert_never_over(f"right after the change to {zone}")
        # late traffic: one event stored under the old zone (a cached site), the next under the new one
        late = cluster(f"{zone[:3]}-", LORD_HOWE_DST + 40 * MIN, people=1)
        site.store(late[:3], old)
        site.store(late[3:], zone)
        for round_ in range(2):  # part-way: the job and the sealer a few steps at a time
            site.job.run(deadline=steps(15), page=10)
            site.seal(deadline=steps(8))
            site.assert_never_over(f"{zone}, round {round_}")
            moments += site.rebucketing()
        while site.rebucketing():
            site.job.run(deadline=lambda: False)
        site.seal()
        site.assert_counted(f"{zone}, re-bucketed and sealed")
        if zone == KOLKATA:
            site.store(lord_howe[len(lord_howe) // 2:], KOLKATA)  # more unsealed data for the next change
    assert moments >= 4  # the part-way checks really ran part-way

    # Lord Howe's 30-minute hour shares its start with Kolkata's 60-minute one: both were sealed in turn
    assert bucket_end(Grain.hour, LORD_HOWE_DST, LORD_HOWE) - LORD_HOWE_DST == HOUR_MS // 2
    assert bucket_end(Grain.hour, LORD_HOWE_DST, KOLKATA) - LORD_HOWE_DST == HOUR_MS


def test_replayed_duplicated_and_overtaken_seals_count_once(aws, monkeypatch):
    site = Platform(aws, "org-totals-replay", KOLKATA)
    events = cluster("r", LORD_HOWE_DST)
    site.store(events[:20], KOLKATA)

    sent: list[list[Any]] = []
    transact = site.client.transact_write_items

    def recording(**kwargs: Any) -> Any:
        sent.append(kwargs["TransactItems"])
        return transact(**kwargs)

    monkeypatch.setattr(site.client, "transact_write_items", recording)
    site.seal()
    site.seal()  # a run repeated
    site.assert_counted("sealed, then sealed again", events[:20])
    assert sent
    for items in sent:  # every seal transaction delivered again (a retried request, a replayed batch)
        with pytest.raises(site.client.exceptions.TransactionCanceledException):
            transact(TransactItems=items)
    site.assert_counted("replayed", events[:20])

    # a slow seal reads the slots, then a newer seal of an overlapping hour (another zone) commits first
    hour = bucket_start(Grain.hour, events[20].ts_ms, KOLKATA)
    end = bucket_end(Grain.hour, hour, KOLKATA)
    slow_claim = site.rollups.claim(site.site_id, hour, end)
    from tally.web.aggregate.pipeline import seal_marked_hour

    slow_mark = site.marks.get(site.site_id, Grain.hour, hour)
    assert slow_mark is not None
    slow, _ = seal_marked_hour(site.raw, slow_mark, FAR)  # the old view: without the events below
    site.store(events[20:], BERLIN)  # late events under another zone: its hours overlap Kolkata's
    site.seal()
    site.assert_counted("the newer seal", events)
    with pytest.raises(StaleSeal):
        site.rollups.write(slow.hour, slow_mark.version + 100, slow.minutes, slow_claim)
    site.assert_counted("the slow seal refused", events)
    hour_ms = bucket_start(Grain.hour, events[0].ts_ms, BERLIN)
    assert any(int(r["sk"]["S"]) == hour_ms for r in site.slot_records())
