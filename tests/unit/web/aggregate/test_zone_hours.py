"""Hour buckets follow the wall clock in every zone, DST changes of any size included: each instant
lies in the bucket that starts where its local date, hour and UTC offset begin (checked minute by
minute against that brute-force definition), and buckets tile time without gaps or overlaps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from tally.web.aggregate.zones import (
    HOUR_MS,
    MINUTE_MS,
    Grain,
    bucket_end,
    bucket_start,
    buckets_overlapping,
    day_bounds,
    hours_of_day,
    to_utc,
    zone,
)


def wall_clock_hour_start(ts_ms: int, tz: str) -> int:
    def key(t: int) -> tuple[object, ...]:
        local = to_utc(t).astimezone(zone(tz))
        return local.date(), local.hour, local.utcoffset()

    start = ts_ms - ts_ms % MINUTE_MS
    while key(start - MINUTE_MS) == key(ts_ms):
        start -= MINUTE_MS
    return start


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(("tz", "around"), [
    ("Australia/Lord_Howe", ms(2022, 10, 1, 15, 30)),  # 02:00 → 02:30: a 30-minute hour
    ("Australia/Lord_Howe", ms(2022, 4, 2, 15)),  # 02:00 → 01:30: a repeated half hour
    ("America/Santiago", ms(2022, 9, 11, 4)),  # no midnight
    ("Europe/Berlin", ms(2022, 10, 30, 1)),  # a repeated hour
    ("America/Havana", ms(2023, 11, 5, 5)),
    ("Asia/Kolkata", ms(2022, 9, 11, 4)),  # :30, no DST
    ("Pacific/Chatham", ms(2022, 9, 24, 14)),  # :45 and a DST change at :45
])
def test_every_minute_lies_in_its_wall_clock_hour(tz, around):
    first = around - 3 * HOUR_MS
    for minute in range(0, 6 * 60):
        ts = first + minute * MINUTE_MS + 7
        start = bucket_start(Grain.hour, ts, tz)
        assert start == wall_clock_hour_start(ts, tz), (tz, to_utc(ts))
        assert start <= ts < bucket_end(Grain.hour, start, tz)
    starts = buckets_overlapping(Grain.hour, first, first + 6 * HOUR_MS, tz)
    assert all(bucket_end(Grain.hour, a, tz) == b for a, b in itertools.pairwise(starts))


def test_lord_howe_and_kolkata_share_an_hour_start_but_not_its_length():
    dst = ms(2022, 10, 1, 15, 30)
    assert bucket_end(Grain.hour, dst, "Australia/Lord_Howe") - dst == HOUR_MS // 2
    assert bucket_end(Grain.hour, dst, "Asia/Kolkata") - dst == HOUR_MS
    day = to_utc(dst).astimezone(zone("Australia/Lord_Howe")).date()
    hours = hours_of_day(day, "Australia/Lord_Howe")
    start, end = day_bounds(day, "Australia/Lord_Howe")
    assert hours[0] == start and dst in hours and bucket_end(Grain.hour, hours[-1], "Australia/Lord_Howe") == end
    assert end - start == 23 * HOUR_MS + HOUR_MS // 2
