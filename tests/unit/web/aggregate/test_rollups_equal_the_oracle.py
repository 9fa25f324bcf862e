"""Sealed hour and day rollups equal a brute-force computation, in zones with DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.sealing import seal_day, seal_hour
from tally.web.aggregate.zones import Grain, bucket_start, day_start
from tests.unit.web.aggregate.oracle import OracleEvent, expected_by, expected_goal_props_in, goal_props_of

# Each zone with a DST change inside the generated range (Plausible's own test dates).
ZONES = {
    "America/Santiago": datetime(2022, 9, 10, 12, tzinfo=UTC),
    "America/Havana": datetime(2023, 11, 4, 12, tzinfo=UTC),
    "America/Asuncion": datetime(2024, 3, 22, 12, tzinfo=UTC),
    "Asia/Kolkata": datetime(2024, 1, 1, 12, tzinfo=UTC),
    "UTC": datetime(2024, 1, 1, 12, tzinfo=UTC),
}
RANGE_MS = 2 * 86400 * 1000
PAGES = ["/", "/blog", "/pricing", "/docs/a"]
SOURCES = ["Direct / None", "Google", "Twitter"]
#: props as the ingest leaves them (sorted by key); on pageviews too, which no goal breakdown may count
PROPS = [(), (("plan", "free"),), (("plan", "pro"),), (("plan", "pro"), ("seats", "3")), (("plan", ""),)]


def to_raw(event: OracleEvent) -> RawEvent:
    day = datetime.fromtimestamp(event.ts_ms / 1000, UTC).date()
    return RawEvent(event_id=event.event_id, site_id="s1", ts_ms=event.ts_ms, name=event.name,
                    visitor=f"{event.person}@{day}", alt_visitor=f"{event.person}@{day - timedelta(days=1)}",
                    page=event.page, interactive=event.interactive, source=event.source, props=event.props)


@st.composite
def traffic(draw):
    tz = draw(st.sampled_from(sorted(ZONES)))
    base = int(ZONES[tz].timestamp() * 1000)
    events = []
    for p in range(draw(st.integers(1, 8))):
        t = base + draw(st.integers(0, RANGE_MS))
        for i in range(draw(st.integers(1, 12))):
            # gaps around the 30-minute edge: 1,799 s, 1,800 s and 1,801 s included
            t += draw(st.sampled_from([0, 5_000, 600_000, 1_799_000, 1_800_000, 1_801_000, 3_600_000]))
            name = draw(st.sampled_from(["pageview", "pageview", "signup", "engagement"]))
            events.append(OracleEvent(f"p{p}e{i}", f"person{p}", t, name, draw(st.sampled_from(PAGES)),
                                      draw(st.booleans()) if name != "pageview" else True,
                                      draw(st.sampled_from(SOURCES)), draw(st.sampled_from(PROPS))))
    # duplicated deliveries: some events appear twice
    duplicates = draw(st.lists(st.sampled_from(events), max_size=5)) if events else []
    return tz, events + duplicates


def sealed_hours(tz, raw):
    settled = max(e.ts_ms for e in raw) + 1_800_001
    hours = {bucket_start(Grain.hour, e.ts_ms, tz) for e in raw}
    return {h: seal_hour("s1", tz, h, raw, settled) for h in hours}


def check(rollup_stats, expected, visitors_of=lambda s: s.visitors.estimate()):
    assert (rollup_stats.pageviews, rollup_stats.events, rollup_stats.visits, rollup_stats.bounces,
            rollup_stats.duration_ms) == (expected.pageviews, expected.events, expected.visits, expected.bounces,
                                          expected.duration)
    assert visitors_of(rollup_stats) == len(expected.visitors)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traffic())
def test_hour_rollups_equal_brute_force(case):
    tz, events = case
    raw = [to_raw(e) for e in events]
    sealed = sealed_hours(tz, raw)
    expected = expected_by(events, lambda ts: bucket_start(Grain.hour, ts, tz))
    for hour, exp in expected.items():
        check(sealed[hour].hour.totals, exp)
    for dimension in ("page", "entry_page", "source"):
        for (hour, value), exp in expected_by(events, lambda ts: bucket_start(Grain.hour, ts, tz), dimension).items():
            check(sealed[hour].hour.dims[dimension][value], exp)
    for hour, sealed_hour in sealed.items():
        assert goal_props_of(sealed_hour.hour) == expected_goal_props_in(
            events, lambda ts: bucket_start(Grain.hour, ts, tz), hour)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traffic())
def test_day_rollups_from_sealed_hours_equal_brute_force(case):
    tz, events = case
    raw = [to_raw(e) for e in events]
    hours = [s.hour for s in sealed_hours(tz, raw).values()]
    for day, exp in expected_by(events, lambda ts: day_start(ts, tz)).items():
        check(seal_day("s1", tz, day, hours).totals, exp)
    for (day, page), exp in expected_by(events, lambda ts: day_start(ts, tz), "page").items():
        check(seal_day("s1", tz, day, hours).dims["page"][page], exp)
    for day in {day_start(e.ts_ms, tz) for e in events}:
        assert goal_props_of(seal_day("s1", tz, day, hours)) == expected_goal_props_in(
            events, lambda ts: day_start(ts, tz), day)


@settings(max_examples=60, deadline=None)
@given(traffic())
def test_minute_rollups_sum_to_their_hour(case):
    tz, events = case
    for sealed in sealed_hours(tz, [to_raw(e) for e in events]).values():
        minutes = sealed.minutes
        assert sum(m.totals.pageviews for m in minutes) == sealed.hour.totals.pageviews
        assert sum(m.totals.visits for m in minutes) == sealed.hour.totals.visits
        assert sum(m.totals.duration_ms for m in minutes) == sealed.hour.totals.duration_ms
