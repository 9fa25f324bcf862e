"""Stats periods: whole local days in the site's (or the asked) zone; invalid combinations are 422."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tally.platform.errors import InvalidInput
from tally.web.query.periods import DateRange, parse_range

NOW = int(datetime(2024, 3, 24, 2, 30, tzinfo=UTC).timestamp() * 1000)  # 23rd, 23:30 in Asuncion


def test_today_is_the_local_day_of_the_zone():
    assert parse_range("day", "America/Asuncion", NOW) == DateRange(date(2024, 3, 23), date(2024, 3, 23),
                                                                    "America/Asuncion")
    assert parse_range("day", "UTC", NOW).first == date(2024, 3, 24)


@pytest.mark.parametrize(("period", "first", "last"), [
    ("7d", date(2024, 3, 4), date(2024, 3, 10)),
    ("30d", date(2024, 2, 10), date(2024, 3, 10)),
    ("month", date(2024, 3, 1), date(2024, 3, 31)),
    ("6mo", date(2023, 10, 1), date(2024, 3, 31)),
    ("12mo", date(2023, 4, 1), date(2024, 3, 31)),
])
def test_periods_end_on_whole_local_days(period, first, last):
    days = parse_range(period, "Europe/Berlin", NOW, on="2024-03-10")
    assert (days.first, days.last) == (first, last)


def test_custom_range_is_inclusive_and_its_bounds_are_local_midnights():
    days = parse_range("custom", "America/Santiago", NOW, from_="2022-09-10", to="2022-09-11")
    assert days.days == 2
    # 2022-09-11 starts at 01:00 local (midnight skipped): the range is 47 hours long
    assert days.end_ms - days.start_ms == 47 * 3_600_000


def test_previous_period_is_the_same_number_of_days_before():
    days = parse_range("7d", "UTC", NOW, on="2024-03-10").previous()
    assert (days.first, days.last) == (date(2024, 2, 26), date(2024, 3, 3))


@pytest.mark.parametrize(("kwargs", "rule"), [
    ({"period": "custom", "from_": "2024-03-02", "to": "2024-03-01"}, "from <= to"),
    ({"period": "custom", "from_": "2020-01-01", "to": "2024-03-01"}, "at most 731 days"),
    ({"period": "custom", "from_": "2024-03-01"}, "from and to are required with period=custom"),
    ({"period": "week"}, "one of day, 7d, 30d, month, 6mo, 12mo, custom"),
    ({"period": "day", "on": "10/03/2024"}, "YYYY-MM-DD"),
    ({"period": "day", "from_": "2024-03-01", "to": "2024-03-02"}, "from and to only with period=custom"),
])
def test_invalid_combinations_are_422_naming_the_rule(kwargs, rule):
    period = kwargs.pop("period")
    with pytest.raises(InvalidInput) as raised:
        parse_range(period, "UTC", NOW, **kwargs)
    assert raised.value.status == 422
    assert raised.value.details[0]["rule"] == rule


def test_an_unknown_zone_is_422():
    with pytest.raises(InvalidInput, match="IANA"):
        parse_range("day", "Mars/Olympus", NOW)


def test_two_years_exactly_is_allowed():
    assert parse_range("custom", "UTC", NOW, from_="2022-03-01", to="2024-02-29").days == 731
