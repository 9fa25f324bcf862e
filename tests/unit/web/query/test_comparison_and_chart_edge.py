"""What a comparison compares and where the chart's current point is, with an injected clock:
today, this month, a running 7 days, a finished period, DST days (Berlin's 23- and 25-hour days)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from tally.web.aggregate.zones import to_ms
from tally.web.query.comparison import previous_period, previous_range, whole_months
from tally.web.query.periods import DateRange, parse_range
from tally.web.query.service import Interval, _all_keys, _point_key

BERLIN = "Europe/Berlin"


def at(tz: str, *parts: int) -> int:
    return to_ms(datetime(*parts, tzinfo=ZoneInfo(tz)))


def local(ms: int, tz: str) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=ZoneInfo(tz)).replace(tzinfo=None)


def test_today_until_1405_is_compared_with_yesterday_until_1405():
    now = at(BERLIN, 2026, 11, 18, 14, 5)
    days = parse_range("day", BERLIN, now)

    comparison = previous_period(days, now)

    assert comparison.previous == DateRange(date(2026, 11, 17), date(2026, 11, 17), BERLIN)
    assert local(comparison.until_ms, BERLIN) == datetime(2026, 11, 17, 14, 5)


def test_this_month_is_compared_with_the_same_elapsed_part_of_last_month():
    now = at("UTC", 2026, 12, 2, 14, 5)
    days = parse_range("month", "UTC", now)

    comparison = previous_period(days, now)

    assert comparison.previous == DateRange(date(2026, 11, 1), date(2026, 11, 30), "UTC")  # a month, not 31 days
    assert local(comparison.until_ms, "UTC") == datetime(2026, 11, 2, 14, 5)


def test_a_previous_month_shorter_than_the_elapsed_part_is_taken_whole():
    now = at("UTC", 2026, 3, 31, 12, 0)  # 30.5 days into March; February has 28
    comparison = previous_period(parse_range("month", "UTC", now), now)
    assert comparison.previous == DateRange(date(2026, 2, 1), date(2026, 2, 28), "UTC")
    assert comparison.until_ms is None


def test_a_finished_period_is_compared_whole_and_whole_months_with_months():
    now = at("UTC", 2026, 12, 2, 14, 5)
    last_month = parse_range("month", "UTC", now, on="2026-10-15")
    assert previous_period(last_month, now).until_ms is None
    assert previous_period(last_month, now).previous == DateRange(date(2026, 9, 1), date(2026, 9, 30), "UTC")
    six = parse_range("6mo", "UTC", now, on="2026-10-15")
    assert whole_months(six) == 6
    assert previous_range(six) == DateRange(date(2025, 11, 1), date(2026, 4, 30), "UTC")
    week = parse_range("7d", "UTC", now, on="2026-11-20")
    assert previous_range(week) == DateRange(date(2026, 11, 7), date(2026, 11, 13), "UTC")


def test_a_running_seven_days_cuts_the_previous_seven_at_the_same_wall_clock_time():
    now = at(BERLIN, 2026, 11, 18, 9, 30)
    comparison = previous_period(parse_range("7d", BERLIN, now), now)
    assert comparison.previous == DateRange(date(2026, 11, 5), date(2026, 11, 11), BERLIN)
    assert local(comparison.until_ms, BERLIN) == datetime(2026, 11, 11, 9, 30)


def test_on_dst_days_until_1405_is_1405_on_the_clock():
    # 2026-03-29 has 23 hours in Berlin, 2026-10-25 has 25: the elapsed part is wall-clock time
    spring = at(BERLIN, 2026, 3, 30, 14, 5)  # the day after the short day: compared with it
    comparison = previous_period(parse_range("day", BERLIN, spring), spring)
    assert local(comparison.until_ms, BERLIN) == datetime(2026, 3, 29, 14, 5)
    assert spring - comparison.until_ms == 24 * 3600_000
    autumn = at(BERLIN, 2026, 10, 25, 14, 5)  # the long day itself, against a normal day
    comparison = previous_period(parse_range("day", BERLIN, autumn), autumn)
    assert local(comparison.until_ms, BERLIN) == datetime(2026, 10, 24, 14, 5)
    assert autumn - comparison.until_ms == 25 * 3600_000


def test_the_current_point_is_nows_interval_and_later_points_are_the_future():
    now = at(BERLIN, 2026, 10, 25, 14, 5)  # 25 hours: two 02:00 hours
    days = parse_range("day", BERLIN, now)
    keys = _all_keys(Interval.hour, days)
    assert len(keys) == 25
    current = _point_key(Interval.hour, now, BERLIN)
    assert current == "2026-10-25T14:00:00+01:00"
    assert keys.index(current) == 15  # 15 hours before it, 9 after: not drawn as zeros
    month = parse_range("12mo", "UTC", at("UTC", 2026, 11, 18, 9, 0))
    assert _point_key(Interval.month, at("UTC", 2026, 11, 18, 9, 0), "UTC") == "2026-11-01"
    assert _all_keys(Interval.month, month)[-1] == "2026-11-01"  # this month: the last point, and partial
    assert datetime.fromtimestamp(month.end_ms / 1000, tz=UTC) == datetime(2026, 12, 1, tzinfo=UTC)
