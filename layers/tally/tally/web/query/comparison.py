"""What a comparison compares, and where a chart's current period ends: the rules, with the clock injected.

- The previous period of whole calendar months (`month`, `6mo`, `12mo`, or a custom range of whole
  months) is the same number of calendar months just before; of any other range, the same number of
  days just before.
- A period still running (it contains now) is compared with the *same elapsed part* of the previous
  one: today until 14:05 against yesterday until 14:05, the 1st to the 2nd of this month until 14:05
  against the same of last month. Elapsed is counted in local wall-clock time from the first day's
  midnight, so on a DST day "until 14:05" is still 14:05 on the clock; a previous period shorter than
  the elapsed part (31 days of January against 28 of February) is taken whole.
- A change against an empty previous period (no visits) is no figure at all (null), never +100 %.
- A chart's point whose interval contains now is partial (`current_point`); later points lie in the
  future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tally.web.aggregate.zones import to_ms, to_utc, zone
from tally.web.query.periods import DateRange


@dataclass(frozen=True)
class Comparison:
    previous: DateRange
    #: The instant (UTC ms) the previous period is counted until; None when it is counted whole.
    until_ms: int | None


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def whole_months(days: DateRange) -> int:
    """How many calendar months the range covers exactly (0 when it does not)."""
    after = days.last + timedelta(days=1)
    if days.first.day != 1 or after.day != 1:
        return 0
    return (after.year - days.first.year) * 12 + after.month - days.first.month


def previous_range(days: DateRange) -> DateRange:
    months = whole_months(days)
    if months:
        first = _months_back(days.first, months)
        return DateRange(first, days.first - timedelta(days=1), days.tz)
    return days.previous()


def running(days: DateRange, now_ms: int) -> bool:
    return days.start_ms <= now_ms < days.end_ms


def previous_period(days: DateRange, now_ms: int) -> Comparison:
    previous = previous_range(days)
    if not running(days, now_ms):
        return Comparison(previous, None)
    tz = zone(days.tz)
    now_local = to_utc(now_ms).astimezone(tz).replace(tzinfo=None)
    elapsed = now_local - datetime.combine(days.first, time())
    until_local = datetime.combine(previous.first, time()) + elapsed
    until_ms = to_ms(until_local.replace(tzinfo=tz))
    return Comparison(previous, until_ms if until_ms < previous.end_ms else None)


def current_point(keys: list[str], point_key: str | None) -> str | None:
    """The chart's partial point: `point_key` (the key of now's interval) when it is one of `keys`."""
    return point_key if point_key in keys else None
