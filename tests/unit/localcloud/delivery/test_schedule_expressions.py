"""EventBridge schedule expressions: the next firing of rate, cron (AWS dialect, time zones) and at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tally_dev.localcloud.event_sources import event_sources
from tally_dev.localcloud.schedule_expressions import InvalidExpression, parse
from tally_dev.localcloud.schedules import VirtualClock
from tally_dev.template import functions, load_template


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def firings(expression: str, start: datetime, count: int, timezone: str = "UTC") -> list[datetime]:
    schedule = parse(expression, timezone, anchor=start)
    found: list[datetime] = []
    moment = start
    for _ in range(count):
        nxt = schedule.next_after(moment)
        assert nxt is not None
        found.append(nxt.astimezone(UTC))
        moment = nxt
    return found


def test_a_rate_fires_every_period_from_its_creation():
    start = utc(2026, 11, 25, 12, 0, 30)

    assert firings("rate(1 minute)", start, 3) == [start + timedelta(minutes=n) for n in (1, 2, 3)]
    assert firings("rate(15 minutes)", start, 1) == [start + timedelta(minutes=15)]
    assert firings("rate(2 days)", start, 1) == [start + timedelta(days=2)]


def test_a_daily_midnight_cron_fires_at_midnight_utc():
    assert firings("cron(0 0 * * ? *)", utc(2026, 11, 25, 23, 59, 59), 2) == [utc(2026, 11, 26), utc(2026, 11, 27)]


def test_a_cron_firing_is_strictly_after_the_moment():
    assert firings("cron(0 0 * * ? *)", utc(2026, 11, 26), 1) == [utc(2026, 11, 27)]


def test_minute_steps_and_weekday_ranges():
    assert firings("cron(0/15 * * * ? *)", utc(2026, 11, 25, 12, 7), 3) == [
        utc(2026, 11, 25, 12, 15), utc(2026, 11, 25, 12, 30), utc(2026, 11, 25, 12, 45)]
    # 2026-11-27 is a Friday: the next weekday noon after Friday noon is Monday
    assert firings("cron(0 12 ? * MON-FRI *)", utc(2026, 11, 27, 12, 0), 1) == [utc(2026, 11, 30, 12, 0)]


def test_last_day_nearest_weekday_and_nth_weekday():
    assert firings("cron(0 10 L * ? *)", utc(2026, 2, 1), 1) == [utc(2026, 2, 28, 10)]
    # 2026-11-15 is a Sunday: 15W is Monday the 16th
    assert firings("cron(0 9 15W * ? *)", utc(2026, 11, 1), 1) == [utc(2026, 11, 16, 9)]
    # the third Friday (6#3) of November 2026 is the 20th; 6L the last Friday, the 27th
    assert firings("cron(0 9 ? * 6#3 *)", utc(2026, 11, 1), 1) == [utc(2026, 11, 20, 9)]
    assert firings("cron(0 9 ? * 6L *)", utc(2026, 11, 1), 1) == [utc(2026, 11, 27, 9)]


def test_a_cron_in_a_time_zone_follows_its_daylight_saving_changes():
    # 09:00 in New York is 13:00 UTC in summer time and 14:00 UTC after 2026-11-01
    assert firings("cron(0 9 * * ? *)", utc(2026, 10, 31, 0), 2, "America/New_York") == [
        utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)]


def test_a_cron_limited_to_past_years_never_fires_again():
    assert parse("cron(0 0 1 1 ? 2020)").next_after(utc(2026, 1, 1)) is None


def test_at_fires_once_at_a_local_time():
    schedule = parse("at(2026-12-01T09:00:00)", "Europe/Berlin")

    assert schedule.next_after(utc(2026, 11, 25)) == datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    assert schedule.next_after(utc(2026, 12, 2)) is None


@pytest.mark.parametrize("expression", [
    "rate(0 minutes)", "rate(5 fortnights)", "cron(0 0 * * * *)", "cron(0 0 ? * ? *)", "cron(0 0 * *)",
    "cron(61 0 * * ? *)", "every day", "cron(0 0 ? * FUNDAY *)",
])
def test_invalid_expressions_are_refused(expression):
    with pytest.raises(InvalidExpression):
        parse(expression)


def test_every_schedule_of_the_template_parses():
    template = load_template()

    schedules = event_sources(functions(template), template).schedules

    assert {s.function for s in schedules} >= {"SealerFunction", "AggregationRetryFunction", "SaltRotationFunction"}
    for schedule in schedules:
        assert parse(schedule.expression, schedule.timezone).next_after(datetime.now(UTC)) is not None


def test_an_accelerated_clock_runs_that_many_times_faster():
    real = iter([100.0, 101.0, 102.5])
    clock = VirtualClock(60, start=utc(2026, 11, 25, 12), monotonic=lambda: next(real))

    assert clock.now() == utc(2026, 11, 25, 12, 1)
    assert clock.now() == utc(2026, 11, 25, 12, 2, 30)
    assert clock.real_seconds(60) == 1
