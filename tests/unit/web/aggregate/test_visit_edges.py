"""The visit rules at their edges: 1,799 / 1,800 / 1,801 s gaps, midnight, DST, bounces, entry/exit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.rollup import compute_rollup
from tally.web.aggregate.visits import build_visits
from tally.web.aggregate.zones import Grain, bucket_start, day_bounds, hours_of_day

T0 = int(datetime(2024, 5, 1, 10, tzinfo=UTC).timestamp() * 1000)


def ev(i, ts, visitor="a", name="pageview", page="/", alt=None, interactive=True):
    return RawEvent(f"e{i}", "s", ts, name, visitor, page, alt_visitor=alt, interactive=interactive)


@pytest.mark.parametrize(("gap_s", "visits"), [(1799, 1), (1800, 2), (1801, 2)])
def test_a_gap_of_1800_seconds_or_more_starts_a_new_visit(gap_s, visits):
    assert len(build_visits([ev(1, T0), ev(2, T0 + gap_s * 1000)])) == visits


def test_a_visit_crossing_midnight_keeps_its_visitor_through_the_previous_salt_id():
    midnight = int(datetime(2024, 5, 2, tzinfo=UTC).timestamp() * 1000)
    events = [ev(1, midnight - 600_000, visitor="old-id"),
              ev(2, midnight + 300_000, visitor="new-id", alt="old-id"),
              ev(3, midnight + 900_000, visitor="new-id", alt="old-id")]
    [visit] = build_visits(events)
    assert visit.visitor == "old-id"
    assert visit.duration_ms == 1_500_000


def test_a_new_person_after_midnight_is_not_joined_to_someone_elses_visit():
    midnight = int(datetime(2024, 5, 2, tzinfo=UTC).timestamp() * 1000)
    visits = build_visits([ev(1, midnight - 60_000, visitor="x"), ev(2, midnight + 60_000, visitor="y", alt="z")])
    assert len(visits) == 2


def test_bounce_duration_entry_and_exit():
    [bounce] = build_visits([ev(1, T0, page="/only")])
    assert (bounce.bounced, bounce.duration_ms, bounce.entry, bounce.exit) == (True, 0, "/only", "/only")
    [visit] = build_visits([ev(1, T0, page="/a"), ev(2, T0 + 5_000, name="Signup", page="/a"),
                            ev(3, T0 + 9_000, page="/b")])
    assert (visit.bounced, visit.duration_ms, visit.entry, visit.exit) == (False, 9_000, "/a", "/b")


def test_non_interactive_and_engagement_events_do_not_undo_a_bounce():
    [visit] = build_visits([ev(1, T0), ev(2, T0 + 10_000, name="engagement"),
                            ev(3, T0 + 20_000, name="Scroll", interactive=False)])
    assert visit.bounced
    assert visit.duration_ms == 20_000  # but they do extend the visit


def test_a_visit_is_counted_in_the_bucket_of_its_start_even_when_it_crosses_the_edge():
    hour = bucket_start(Grain.hour, T0, "UTC")
    events = [ev(1, hour + 3_500_000), ev(2, hour + 3_700_000)]  # 10:58:20 then 11:01:40
    visits = build_visits(events)
    first = compute_rollup("s", Grain.hour, hour, hour + 3_600_000, events, visits)
    second = compute_rollup("s", Grain.hour, hour + 3_600_000, hour + 7_200_000, events, visits)
    assert (first.totals.visits, first.totals.pageviews, first.totals.duration_ms) == (1, 1, 200_000)
    assert (second.totals.visits, second.totals.pageviews) == (0, 1)


@pytest.mark.parametrize(("tz", "day", "hours"), [
    ("America/Santiago", "2022-09-11", 23),   # midnight skipped: the day starts at 01:00
    ("America/Havana", "2023-11-05", 25),     # 01:00 repeated
    ("America/Asuncion", "2024-03-23", 25),
    ("Europe/Berlin", "2024-03-31", 23),
    ("Asia/Kolkata", "2024-01-01", 24),       # a half-hour offset: hours start at :30 UTC
])
def test_site_days_follow_the_zone_through_dst(tz, day, hours):
    from datetime import date

    d = date.fromisoformat(day)
    start, end = day_bounds(d, tz)
    assert (end - start) // 3_600_000 == hours
    assert len(hours_of_day(d, tz)) == hours
    assert bucket_start(Grain.day, start, tz) == start
    assert bucket_start(Grain.day, end - 1, tz) == start
