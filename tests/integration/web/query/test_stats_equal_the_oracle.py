"""The stats API against moto: overview and breakdowns equal a brute-force recount, sealed or not.

Traffic over five days in America/Santiago (2022-09-11 has no midnight: DST starts) is stored,
aggregated from the EventsTable stream and sealed up to a cut; the rest, plus an imported event
in an already sealed day, is only marked. The stats handler must answer exactly what the oracle
counts over the raw events, reading day rollups for the sealed days and raw events only where
hours are not sealed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tally.sites.model import SiteCreate
from tally.sites.service import create_site
from tally.sites.wiring import site_store
from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.marking import Aggregator, stream_change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import day_bounds
from tally.web.query.metrics import bounce_rate, percent_change, views_per_visit, visit_duration
from tally.web.query.periods import DateRange
from tally.web.query.range_plan import DynamoMarkReader
from tally.web.query.reader import StatsSources
from tally.web.query.settings import stats_settings
from tests.apigw import FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module
from tests.integration.web.aggregate.test_pipeline_exactly_once import Clock, read_stream, to_raw
from tests.unit.web.aggregate.oracle import OracleEvent, expected_by

TZ = "America/Santiago"
FIRST, LAST = date(2022, 9, 9), date(2022, 9, 13)
START, END = day_bounds(FIRST, TZ)[0], day_bounds(LAST, TZ)[1]
CUT = day_bounds(date(2022, 9, 12), TZ)[0] + 5 * 3_600_000  # sealed before, only marked after


def traffic(seed: int) -> list[OracleEvent]:
    rng = random.Random(seed)
    events = []
    for p in range(40):
        t = START - 3_600_000 + rng.randint(0, END - START)
        for i in range(rng.randint(1, 6)):
            t += rng.choice([5_000, 240_000, 1_799_000, 1_800_000, 3 * 3_600_000])
            events.append(OracleEvent(f"e{p}-{i}", f"u{p % 31}", t, rng.choice(["pageview", "pageview", "signup"]),
                                      rng.choice(["/", "/pricing", "/blog/x"]), rng.random() > 0.1,
                                      rng.choice(["Google", "Direct / None", "Twitter"])))
    # a visit across the DST jump and one across midnight
    jump = day_bounds(date(2022, 9, 11), TZ)[0]
    events += [OracleEvent("dst-1", "night", jump - 600_000, "pageview", "/", True, "Google"),
               OracleEvent("dst-2", "night", jump + 600_000, "pageview", "/pricing", True, "Google")]
    return events


@pytest.fixture
def stats_env(aws) -> Any:
    stats_settings.cache_clear()
    yield aws
    stats_settings.cache_clear()


def ingest(aws, site: str, events: list[OracleEvent], seen: set[str]) -> None:
    """Store the events, mark their hours from the stream records not marked before."""
    raw = RawEventStore(aws["EventsTable"])
    for event in events:
        raw.put(to_raw(site, event), expires_at=4_000_000_000, tz=TZ)
    records = [r for r in read_stream(aws["EventsTable"]) if site in r["dynamodb"]["Keys"]["pk"]["S"]
               and r["dynamodb"]["Keys"]["sk"]["S"] not in seen]
    seen.update(r["dynamodb"]["Keys"]["sk"]["S"] for r in records)
    Aggregator(DirtyMarks(aws["RollupsTable"])).mark(c for c in map(stream_change, records) if c is not None)


def get(path: str, org: str, **query: str) -> tuple[int, dict]:
    import json

    module = load_handler_module("StatsFunction")
    route = "/api/v1/sites/{site_id}/stats/" + path.rsplit("/", 1)[1]
    response = module.lambda_handler(http_event("GET", path, route=route, query=query or None,
                                                claims=caller_claims(org)), FakeContext())
    return response["statusCode"], json.loads(response["body"])


def site_with_traffic(aws, org: str) -> tuple[str, list[OracleEvent]]:
    site = create_site(site_store(), org, SiteCreate(domain=f"{org}.example.com", timezone=TZ)).site_id
    events = traffic(seed=7)
    early = [e for e in events if e.ts_ms < CUT - 3_600_000]
    late = [e for e in events if e.ts_ms >= CUT - 3_600_000]
    seen: set[str] = set()
    ingest(aws, site, early, seen)
    marks, raw, rollups = DirtyMarks(aws["RollupsTable"]), RawEventStore(aws["EventsTable"]), \
        RollupStore(aws["RollupsTable"])
    Sealer(marks, raw, rollups, Clock(CUT)).run(deadline=lambda: False)
    # after the seal: the rest of the traffic, and an import into a sealed day (a lone visitor)
    imported = OracleEvent("import-1", "importer", day_bounds(date(2022, 9, 10), TZ)[0] + 7_200_000,
                           "pageview", "/imported", True, "Direct / None")
    ingest(aws, site, [*late, imported], seen)
    return site, [*events, imported]


def test_overview_and_breakdowns_equal_the_oracle_across_sealed_and_unsealed_hours(stats_env):
    aws = stats_env
    site, events = site_with_traffic(aws, "org-stats")
    exp = expected_by(events, lambda ts: START <= ts < END)[True]

    status, body = get(f"/api/v1/sites/{site}/stats/overview", "org-stats", period="custom",
                       **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    assert status == 200, body
    got = {k: v["value"] for k, v in body["results"].items()}
    assert got == {"visitors": len(exp.visitors), "visits": exp.visits, "pageviews": exp.pageviews,
                   "views_per_visit": views_per_visit(exp.pageviews, exp.visits),
                   "bounce_rate": bounce_rate(exp.bounces, exp.visits),
                   "visit_duration": visit_duration(exp.duration, exp.visits)}

    status, body = get(f"/api/v1/sites/{site}/stats/overview", "org-stats", period="custom", compare="previous_period",
                       **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    before_start = day_bounds(date(2022, 9, 4), TZ)[0]
    previous = expected_by(events, lambda ts: before_start <= ts < START).get(True)
    previous_visitors = len(previous.visitors) if previous else 0
    assert body["previous_range"] == {"from": "2022-09-04", "to": "2022-09-08", "tz": TZ}
    assert body["results"]["visitors"] == {"value": len(exp.visitors), "previous": previous_visitors,
                                           "change": percent_change(previous_visitors, len(exp.visitors))
                                           if previous else None}  # no change against an empty period

    # another zone than the site's: days in UTC, read from the site's hours and raw events at the cut edges
    utc_start, utc_end = day_bounds(FIRST, "UTC")[0], day_bounds(LAST, "UTC")[1]
    utc = expected_by(events, lambda ts: utc_start <= ts < utc_end)[True]
    status, body = get(f"/api/v1/sites/{site}/stats/overview", "org-stats", period="custom", tz="UTC",
                       **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    assert status == 200 and body["range"]["tz"] == "UTC"
    assert (body["results"]["visitors"]["value"], body["results"]["visits"]["value"],
            body["results"]["pageviews"]["value"]) == (len(utc.visitors), utc.visits, utc.pageviews)

    for prop in ("page", "entry_page"):
        expected = {value: e for (inside, value), e in
                    expected_by(events, lambda ts: START <= ts < END, prop).items() if inside}
        rows, cursor = [], None
        while True:
            status, body = get(f"/api/v1/sites/{site}/stats/breakdown", "org-stats", period="custom",
                               property=prop, limit="2", **{"from": FIRST.isoformat(), "to": LAST.isoformat()},
                               **({"cursor": cursor} if cursor else {}))
            assert status == 200, body
            rows += body["results"]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert [r["visitors"] for r in rows] == sorted((r["visitors"] for r in rows), reverse=True)
        if prop == "page":
            assert {r["value"]: (r["visitors"], r["pageviews"]) for r in rows} == \
                {v: (len(e.visitors), e.pageviews) for v, e in expected.items()}
        else:
            assert {r["value"]: (r["visitors"], r["visits"], r["bounce_rate"], r["visit_duration"]) for r in rows} \
                == {v: (len(e.visitors), e.visits, bounce_rate(e.bounces, e.visits),
                        visit_duration(e.duration, e.visits)) for v, e in expected.items()}


def test_daily_timeseries_points_equal_the_oracle(stats_env):
    aws = stats_env
    site, events = site_with_traffic(aws, "org-series")
    status, body = get(f"/api/v1/sites/{site}/stats/timeseries", "org-series", period="custom", interval="day",
                       **{"from": FIRST.isoformat(), "to": LAST.isoformat()})
    assert status == 200, body
    days = {d: day_bounds(d, TZ) for d in (date.fromordinal(FIRST.toordinal() + i) for i in range(5))}
    for point in body["results"]:
        start, end = days[date.fromisoformat(point["date"])]
        exp = expected_by(events, lambda ts, s=start, e=end: s <= ts < e).get(True)
        assert (point["visitors"], point["visits"], point["pageviews"]) == \
            ((len(exp.visitors), exp.visits, exp.pageviews) if exp else (0, 0, 0)), point["date"]
    assert len(body["results"]) == 5


def test_the_plan_reads_day_rollups_for_sealed_days_and_raw_events_only_where_unsealed(stats_env):
    aws = stats_env
    site, events = site_with_traffic(aws, "org-plan")
    sources = StatsSources(DynamoMarkReader(aws["RollupsTable"]), RollupStore(aws["RollupsTable"]),
                           RawEventStore(aws["EventsTable"]), Clock(int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()
                                                                        * 1000)))
    days = DateRange(FIRST, LAST, TZ)
    plan = sources.plan(site, TZ, days.start_ms, days.end_ms)
    assert [d for d, _ in plan.days] == [day_bounds(date(2022, 9, 9), TZ)[0], day_bounds(date(2022, 9, 11), TZ)[0]]
    assert plan.raw  # the imported hour of the 10th, and everything after the cut
    # an event marks its hour and the hours 30 minutes either side: the imported one's starts at 02:00
    assert all(s >= CUT - 3 * 3_600_000 or s == day_bounds(date(2022, 9, 10), TZ)[0] + 3_600_000
               for s, _ in plan.raw)
    sources.pieces(site, TZ, plan, dimensions=False)
    assert sources.rollups.items_read == len(plan.days) + len(plan.hours)  # one totals item per sealed piece
    near_raw = [e for e in events if any(s - 1_800_000 <= e.ts_ms < t + 86_400_000 for s, t in plan.raw)]
    assert 0 < sources.raw_events_read <= len(near_raw) < len(events)  # sealed hours' events never read
    early_days = sum(1 for e in events if START <= e.ts_ms < day_bounds(date(2022, 9, 10), TZ)[0])
    assert early_days and all(e.ts_ms >= day_bounds(date(2022, 9, 9), TZ)[1] - 1_800_000 for e in near_raw)


def test_another_orgs_site_is_404_and_invalid_ranges_are_422(stats_env):
    site = create_site(site_store(), "org-owner", SiteCreate(domain="owner.example.com", timezone=TZ)).site_id
    status, body = get(f"/api/v1/sites/{site}/stats/overview", "org-rival")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = get(f"/api/v1/sites/{site}/stats/overview", "org-owner", period="custom",
                       **{"from": "2024-03-02", "to": "2024-03-01"})
    assert status == 422 and "after" in body["error"]["message"]
    status, body = get(f"/api/v1/sites/{site}/stats/breakdown", "org-owner", property="shoe_size")
    assert status == 422 and "property" in body["error"]["message"]
    status, body = get(f"/api/v1/sites/{site}/stats/realtime", "org-owner")
    assert status == 200 and body == {"site_id": site, "visitors": 0, "pages": []}


def test_realtime_counts_visitors_of_the_last_5_minutes_on_their_latest_page(stats_env):
    import time

    site = create_site(site_store(), "org-live", SiteCreate(domain="live.example.com", timezone=TZ)).site_id
    now = int(time.time() * 1000)
    raw = RawEventStore(stats_env["EventsTable"])
    for event_id, visitor, ago_s, page in [("a1", "v1", 400, "/old"), ("b1", "v2", 200, "/"), ("b2", "v2", 30, "/buy"),
                                           ("c1", "v3", 100, "/"), ("d1", "v4", 10, "/buy")]:
        raw.put(RawEvent(event_id, site, now - ago_s * 1000, "pageview", visitor, page), 4_000_000_000, tz=TZ)
    status, body = get(f"/api/v1/sites/{site}/stats/realtime", "org-live")
    assert status == 200, body
    assert body["visitors"] == 3
    assert body["pages"] == [{"page": "/buy", "visitors": 2}, {"page": "/", "visitors": 1}]


def test_minute_and_hour_points_equal_the_oracle_on_a_day_half_sealed(stats_env):
    aws = stats_env
    site, events = site_with_traffic(aws, "org-minutes")
    day = date(2022, 9, 12)  # sealed until the cut, raw after it
    for interval, width in (("minute", 60_000), ("hour", 3_600_000)):
        status, body = get(f"/api/v1/sites/{site}/stats/timeseries", "org-minutes", period="day",
                           date=day.isoformat(), interval=interval)
        assert status == 200, body
        assert len(body["results"]) == (day_bounds(day, TZ)[1] - day_bounds(day, TZ)[0]) // width
        for point in body["results"]:
            start = int(datetime.fromisoformat(point["date"]).timestamp() * 1000)
            exp = expected_by(events, lambda ts, s=start, w=width: s <= ts < s + w).get(True)
            assert (point["visitors"], point["visits"], point["pageviews"], point["bounce_rate"]) == \
                ((len(exp.visitors), exp.visits, exp.pageviews, bounce_rate(exp.bounces, exp.visits))
                 if exp else (0, 0, 0, 0)), (interval, point["date"])
    status, body = get(f"/api/v1/sites/{site}/stats/timeseries", "org-minutes", period="7d", interval="minute")
    assert status == 422 and body["error"]["details"][0]["rule"] == "minute: at most 2 days"


def test_engagement_is_not_listed_among_events_but_still_lengthens_its_visit(stats_env):
    aws = stats_env
    site = create_site(site_store(), "org-engaged", SiteCreate(domain="engaged.example.com", timezone=TZ)).site_id
    t = day_bounds(date(2022, 9, 10), TZ)[0] + 3_600_000
    ingest(aws, site, [OracleEvent("p1", "reader", t, "pageview", "/post", True, "Direct / None"),
                       OracleEvent("g1", "reader", t + 90_000, "engagement", "/post", True, "Direct / None"),
                       OracleEvent("s1", "buyer", t, "pageview", "/", True, "Direct / None"),
                       OracleEvent("s2", "buyer", t + 30_000, "signup", "/", True, "Direct / None")], set())
    query = {"period": "day", "date": "2022-09-10"}
    status, body = get(f"/api/v1/sites/{site}/stats/breakdown", "org-engaged", property="event:name", **query)
    assert status == 200, body
    assert {r["value"]: r["events"] for r in body["results"]} == {"pageview": 2, "signup": 1}
    status, body = get(f"/api/v1/sites/{site}/stats/overview", "org-engaged", **query)
    # the reader's engagement makes a 90 s visit that still bounced; the buyer's signup is an interaction
    assert body["results"]["visit_duration"]["value"] == (90 + 30) // 2
    assert body["results"]["bounce_rate"]["value"] == 50
