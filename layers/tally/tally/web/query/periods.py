"""Stats periods: `period`, `date`, `from`/`to` and `tz` turned into whole local days.

A range is a run of calendar days in a time zone (the site's unless `tz` is given); it ends on
a whole local day, so "last 7 days" asked twice in a day is the same range. Invalid combinations
are `InvalidInput` (422) whose message names the rule that was broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tally.platform.errors import InvalidInput
from tally.web.aggregate.zones import day_bounds, to_utc

MAX_DAYS = 731  # "a range over 2 years" is refused
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)  # no arithmetic near date.min / date.max


class Period(StrEnum):
    day = "day"
    d7 = "7d"
    d30 = "30d"
    month = "month"
    mo6 = "6mo"
    mo12 = "12mo"
    custom = "custom"


@dataclass(frozen=True)
class DateRange:
    """Local days [first, last] (inclusive) in `tz`."""

    first: date
    last: date
    tz: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start_ms(self) -> int:
        return day_bounds(self.first, self.tz)[0]

    @property
    def end_ms(self) -> int:
        return day_bounds(self.last, self.tz)[1]

    def previous(self) -> DateRange:
        """The period of the same number of days just before this one (`compare=previous_period`)."""
        last = self.first - timedelta(days=1)
        return DateRange(last - timedelta(days=self.days - 1), last, self.tz)


def _invalid(field: str, rule: str, message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": field, "rule": rule, "type": "value"}])


def parse_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise _invalid("tz", "an IANA time zone", f"tz: {tz!r} is not an IANA time zone") from error
    return tz


def parse_date(field: str, value: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError(value)
        parsed = date.fromisoformat(value)
    except ValueError as error:
        raise _invalid(field, "YYYY-MM-DD", f"{field}: {value!r} is not a date as YYYY-MM-DD") from error
    if not EARLIEST <= parsed <= LATEST:
        raise _invalid(field, f"from {EARLIEST} to {LATEST}", f"{field}: {parsed} is outside {EARLIEST}..{LATEST}")
    return parsed


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return _months_back(day, -1) - timedelta(days=1)


def today_in(tz: str, now_ms: int) -> date:
    return to_utc(now_ms).astimezone(ZoneInfo(tz)).date()


def parse_range(period: str, tz: str, now_ms: int, *, on: str | None = None, from_: str | None = None,
                to: str | None = None) -> DateRange:
    """The local days a query covers; see the module docstring."""
    tz = parse_zone(tz)
    try:
        kind = Period(period)
    except ValueError as error:
        names = ", ".join(p.value for p in Period)
        raise _invalid("period", f"one of {names}", f"period: {period!r} is not one of {names}") from error
    if kind is Period.custom:
        if not from_ or not to:
            raise _invalid("from", "from and to are required with period=custom",
                           "period=custom needs both `from` and `to` (inclusive dates)")
        first, last = parse_date("from", from_), parse_date("to", to)
        if first > last:
            raise _invalid("from", "from <= to", f"from ({first}) is after to ({last})")
        if (last - first).days + 1 > MAX_DAYS:
            raise _invalid("to", f"at most {MAX_DAYS} days",
                           f"the range {first}..{last} is over 2 years (at most {MAX_DAYS} days)")
        return DateRange(first, last, tz)
    if from_ or to:
        raise _invalid("from", "from and to only with period=custom", "`from` and `to` need period=custom")
    anchor = parse_date("date", on) if on else today_in(tz, now_ms)
    if kind is Period.day:
        return DateRange(anchor, anchor, tz)
    if kind in (Period.d7, Period.d30):
        days = 7 if kind is Period.d7 else 30
        return DateRange(anchor - timedelta(days=days - 1), anchor, tz)
    months = {Period.month: 0, Period.mo6: 5, Period.mo12: 11}[kind]
    return DateRange(_months_back(anchor, months), _month_end(anchor), tz)
