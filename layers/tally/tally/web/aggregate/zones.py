"""Time buckets in a site's IANA time zone, DST gaps and overlaps included.

Buckets are keyed by the UTC instant at which they start, so a repeated local hour (DST fall-back)
is two buckets and a skipped one (spring-forward) is none. Minutes are the same everywhere (every
zone's offset is a whole number of minutes); hours and days follow the site's wall clock, which
also covers zones at :30 and :45 offsets.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

MINUTE_MS = 60_000
HOUR_MS = 3_600_000


class Grain(StrEnum):
    minute = "m"
    hour = "h"
    day = "d"


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_utc(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def minute_start(ts_ms: int) -> int:
    return ts_ms - ts_ms % MINUTE_MS


def offset_ms(ts_ms: int, tz: str) -> int:
    """The zone's UTC offset at `ts_ms`."""
    return int(to_utc(ts_ms).astimezone(zone(tz)).utcoffset().total_seconds() * 1000)  # type: ignore[union-attr]


@lru_cache(maxsize=65536)
def _offset_cached(ts_ms: int, tz: str) -> int:
    return offset_ms(ts_ms, tz)


def _transition(after_ms: int, before_ms: int, tz: str) -> int:
    """The instant in (after_ms, before_ms] at which the offset becomes the one of `before_ms`
    (offsets change on whole minutes; exactly one change lies between the two)."""
    lo, hi = after_ms, before_ms  # offset(lo) differs from offset(hi)
    target = offset_ms(hi, tz)
    while hi - lo > MINUTE_MS:
        mid = lo + (hi - lo) // 2
        mid -= mid % MINUTE_MS
        if mid <= lo:
            mid = lo + MINUTE_MS
        if offset_ms(mid, tz) == target:
            hi = mid
        else:
            lo = mid
    return hi - hi % MINUTE_MS if hi % MINUTE_MS else hi


def hour_start(ts_ms: int, tz: str) -> int:
    """Start (UTC ms) of the site-local hour containing `ts_ms`: the run of instants sharing its local
    date, hour and UTC offset (a repeated hour is two buckets; an hour cut by a DST change that is
    not a whole hour — Lord Howe's 30 minutes — is the part of it the wall clock shows)."""
    offset = _offset_cached(ts_ms - ts_ms % MINUTE_MS, tz)
    # Local wall-clock hours start where (utc + offset) is a whole hour; offsets are whole minutes.
    start = ts_ms - (ts_ms + offset) % HOUR_MS
    if _offset_cached(start, tz) != offset:  # the offset changed within the hour: it starts there
        start = _transition(start, ts_ms - ts_ms % MINUTE_MS, tz)
    return start


def day_of(ts_ms: int, tz: str) -> date:
    return to_utc(ts_ms).astimezone(zone(tz)).date()


@lru_cache(maxsize=65536)
def day_bounds(day: date, tz: str) -> tuple[int, int]:
    """[start, end) in UTC ms of a local calendar day (23, 24 or 25 hours long)."""
    return _first_instant(day, tz), _first_instant(day + timedelta(days=1), tz)


def _first_instant(day: date, tz: str) -> int:
    """The first UTC instant whose local date is `day` (local midnight, or later when midnight is skipped)."""
    guess = datetime(day.year, day.month, day.day, tzinfo=zone(tz))
    # Walk back from a point 3 hours after nominal midnight to find where the local date begins.
    start = to_ms(guess.astimezone(UTC)) + 3 * HOUR_MS
    for step in (HOUR_MS, 15 * MINUTE_MS, MINUTE_MS):
        while day_of(start - step, tz) == day:
            start -= step
    return start


def day_start(ts_ms: int, tz: str) -> int:
    return day_bounds(day_of(ts_ms, tz), tz)[0]


def bucket_start(grain: Grain, ts_ms: int, tz: str) -> int:
    if grain is Grain.minute:
        return minute_start(ts_ms)
    if grain is Grain.hour:
        return hour_start(ts_ms, tz)
    return day_start(ts_ms, tz)


def bucket_end(grain: Grain, start_ms: int, tz: str) -> int:
    if grain is Grain.minute:
        return start_ms + MINUTE_MS
    if grain is Grain.hour:
        return _next_hour(start_ms, tz)
    return day_bounds(day_of(start_ms, tz), tz)[1]


def _next_hour(start_ms: int, tz: str) -> int:
    """The next local hour boundary after `start_ms`: the next whole wall-clock hour, or a change of
    offset before it (usually +1 h; 30 minutes either way at Lord Howe's DST changes)."""
    offset = _offset_cached(start_ms, tz)
    candidate = start_ms + HOUR_MS - (start_ms + offset) % HOUR_MS
    if _offset_cached(candidate - MINUTE_MS, tz) != offset:  # the offset changes before that hour ends
        return _transition(start_ms, candidate - MINUTE_MS, tz)
    return candidate


def hours_of_day(day: date, tz: str) -> list[int]:
    """Starts of the local hours of a day, in order."""
    start, end = day_bounds(day, tz)
    hours = []
    current = hour_start(start, tz)
    if current < start:
        current = start
    while current < end:
        hours.append(current)
        current = _next_hour(current, tz)
    return hours


def same_bucket(grain: Grain, start_ms: int, tz: str, other_tz: str) -> bool:
    """Whether the bucket of `tz` starting at `start_ms` is also a bucket of `other_tz` (same start and end).

    Minutes always are; hours are between zones whose offsets differ by whole hours (Berlin and
    Santiago), never with a zone at :30 (Kolkata); days seldom are. A stored bucket that is also one
    of a site's new zone stays valid when the site changes zone (tally.web.aggregate.rebucket).
    """
    if tz == other_tz or grain is Grain.minute:
        return True
    return (bucket_start(grain, start_ms, other_tz) == start_ms
            and bucket_end(grain, start_ms, tz) == bucket_end(grain, start_ms, other_tz))


def buckets_overlapping(grain: Grain, start_ms: int, end_ms: int, tz: str) -> list[int]:
    """Starts of the buckets of `tz` that overlap [start_ms, end_ms), in order."""
    starts = []
    current = bucket_start(grain, start_ms, tz)
    while current < end_ms:
        starts.append(current)
        current = bucket_end(grain, current, tz)
    return starts
