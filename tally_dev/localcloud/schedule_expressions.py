"""EventBridge schedule expressions: `rate(...)`, `cron(...)` (six fields, AWS dialect) and `at(...)`.

`parse(expression, timezone)` gives an object whose `next_after(moment)` is the first firing
strictly after `moment` (aware datetimes; None when the schedule never fires again). The cron
dialect is EventBridge's: minutes, hours, day-of-month, month, day-of-week, year; one of the two
day fields is `?`; days of the week are 1-7 = SUN-SAT; `L` (last day / last <weekday>), `W`
(nearest weekday) and `#` (nth weekday of the month) are understood. Times are evaluated in the
schedule's IANA time zone (ScheduleV2's ScheduleExpressionTimezone), so DST shifts are honoured.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

_MONTHS = {name: i for i, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                                "NOV", "DEC"), start=1)}
_WEEKDAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
#: How far ahead a cron expression is searched before it counts as never firing again.
_HORIZON_DAYS = 366 * 8


class InvalidExpression(ValueError):
    pass


class Schedule(Protocol):
    def next_after(self, moment: datetime) -> datetime | None: ...


@dataclass(frozen=True)
class Rate:
    """`rate(5 minutes)`: every period, counted from `anchor` (when the schedule was created)."""

    period: timedelta
    anchor: datetime

    def next_after(self, moment: datetime) -> datetime:
        if moment < self.anchor:
            return self.anchor + self.period
        periods = (moment - self.anchor) // self.period + 1
        return self.anchor + periods * self.period


@dataclass(frozen=True)
class At:
    """`at(2026-03-01T09:00:00)`: once, at a local time of the schedule's zone."""

    moment: datetime

    def next_after(self, moment: datetime) -> datetime | None:
        return self.moment if self.moment > moment else None


def _number(token: str, names: dict[str, int]) -> int:
    token = token.upper()
    if token in names:
        return names[token]
    if not token.isdigit():
        raise InvalidExpression(f"not a number: {token!r}")
    return int(token)


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """The values of a plain cron field (`*`, lists, ranges, steps, names)."""
    names = names or {}
    found: set[int] = set()
    for part in field.split(","):
        part, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if part == "*":
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(part, names)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise InvalidExpression(f"{field!r} is out of range {low}-{high}")
        if start <= end:
            found.update(range(start, end + 1, step))
        else:  # a wrapping range such as FRI-MON
            found.update(v for v in list(range(start, high + 1)) + list(range(low, end + 1))
                         if (v - start) % (high - low + 1) % step == 0)
    return frozenset(found)


def _nearest_weekday(day: date) -> date:
    """`W`: the weekday nearest to `day`, never leaving its month."""
    if day.weekday() < 5:
        return day
    last = calendar.monthrange(day.year, day.month)[1]
    if day.weekday() == 5:  # Saturday: Friday before, or Monday after on the 1st
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    return day + timedelta(days=1) if day.day < last else day - timedelta(days=2)  # Sunday


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Monday=0 in Python; SUN=1 … SAT=7 in EventBridge


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: str
    months: frozenset[int]
    day_of_week: str
    years: frozenset[int]
    zone: ZoneInfo

    @classmethod
    def parse(cls, body: str, zone: ZoneInfo) -> Cron:
        fields = body.split()
        if len(fields) != 6:
            raise InvalidExpression(f"cron needs 6 fields, got {len(fields)}: {body!r}")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise InvalidExpression("exactly one of day-of-month and day-of-week must be '?'")
        cron = cls(_values(minute, 0, 59), _values(hour, 0, 23), dom.upper(), _values(month, 1, 12, _MONTHS),
                   dow.upper(), _values(year, 1970, 2199), zone)
        cron.matches_day(date(2024, 1, 1))  # validates the day fields
        return cron

    def matches_day(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.day_of_month != "?":
            return self._day_of_month(day)
        return self._day_of_week(day)

    def _day_of_month(self, day: date) -> bool:
        field = self.day_of_month
        last = calendar.monthrange(day.year, day.month)[1]
        if field == "L":
            return day.day == last
        if field == "LW":
            return day == _nearest_weekday(date(day.year, day.month, last))
        if field.endswith("W"):
            target = int(field[:-1])
            return target <= last and day == _nearest_weekday(date(day.year, day.month, target))
        return day.day in _values(field, 1, 31)

    def _day_of_week(self, day: date) -> bool:
        field = self.day_of_week
        weekday = _aws_weekday(day)
        if "#" in field:
            name, nth = field.split("#", 1)
            return weekday == _number(name, _WEEKDAYS) and (day.day - 1) // 7 + 1 == int(nth)
        if field.endswith("L") and field != "L":
            last = calendar.monthrange(day.year, day.month)[1]
            return weekday == _number(field[:-1], _WEEKDAYS) and day.day + 7 > last
        if field == "L":
            return weekday == 7
        return weekday in _values(field, 1, 7, _WEEKDAYS)

    def next_after(self, moment: datetime) -> datetime | None:
        local = moment.astimezone(self.zone)
        day = local.date()
        times = sorted((h, m) for h in self.hours for m in self.minutes)
        for _ in range(_HORIZON_DAYS):
            if self.matches_day(day):
                for hour, minute in times:
                    candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
                    if candidate.astimezone(UTC) > moment.astimezone(UTC):
                        return candidate
            day += timedelta(days=1)
        return None


def parse(expression: str, timezone: str = "UTC", *, anchor: datetime | None = None) -> Schedule:
    """The schedule of an EventBridge expression; `anchor` is when a `rate` schedule starts counting."""
    zone = ZoneInfo(timezone or "UTC")
    match = re.fullmatch(r"\s*(rate|cron|at)\((.*)\)\s*", expression)
    if match is None:
        raise InvalidExpression(f"not a schedule expression: {expression!r}")
    kind, body = match.group(1), match.group(2).strip()
    if kind == "rate":
        amount, _, unit = body.partition(" ")
        if not amount.isdigit() or int(amount) < 1 or unit.strip() not in _UNITS:
            raise InvalidExpression(f"not a rate: {expression!r}")
        return Rate(timedelta(seconds=int(amount) * _UNITS[unit.strip()]), anchor or datetime.now(UTC))
    if kind == "at":
        return At(datetime.fromisoformat(body).replace(tzinfo=zone))
    return Cron.parse(body, zone)
