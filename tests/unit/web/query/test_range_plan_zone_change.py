"""The range plan after a site changed time zone: old-zone marks keep events visible, valid rollups are
reused, and a new-zone bucket is read from its rollup only once every old bucket overlapping it was
carried into the new zone (tally.web.aggregate.rebucket)."""

from __future__ import annotations

from datetime import date

from tally.web.aggregate.zones import HOUR_MS, Grain, buckets_overlapping, day_bounds, hours_of_day, same_bucket
from tally.web.query.range_plan import MarkState, plan_range

BERLIN, KOLKATA, SANTIAGO = "Europe/Berlin", "Asia/Kolkata", "America/Santiago"
DAY = date(2022, 9, 10)
LONG_AFTER = 30 * 86_400_000


class ZonedFakeMarks:
    def __init__(self) -> None:
        self.state: dict[Grain, dict[int, MarkState]] = {Grain.day: {}, Grain.hour: {}}

    def set(self, grain: Grain, start: int, tz: str, version: int = 1, sealed: int = 1,
            carried_to: str | None = None) -> None:
        self.state[grain][start] = MarkState(start, version, sealed, tz=tz, rebucketed_to=carried_to,
                                             rebucketed_at=version if carried_to else 0)

    def sealed_berlin_day(self, day: date, carried_to: str | None = None) -> None:
        self.set(Grain.day, day_bounds(day, BERLIN)[0], BERLIN, carried_to=carried_to)
        for hour in hours_of_day(day, BERLIN):
            self.set(Grain.hour, hour, BERLIN, carried_to=carried_to)

    def marks(self, site_id, grain, start_ms, end_ms):
        return {s: m for s, m in self.state[grain].items() if start_ms <= s < end_ms}


def test_hours_coincide_between_whole_hour_zones_but_not_with_a_half_hour_zone_and_days_seldom_do():
    hour = hours_of_day(DAY, BERLIN)[5]
    assert same_bucket(Grain.hour, hour, BERLIN, SANTIAGO)
    assert not same_bucket(Grain.hour, hour, BERLIN, KOLKATA)
    assert not same_bucket(Grain.day, day_bounds(DAY, BERLIN)[0], BERLIN, SANTIAGO)
    assert same_bucket(Grain.minute, hour + 60_000, BERLIN, KOLKATA)
    assert len(buckets_overlapping(Grain.hour, *day_bounds(DAY, BERLIN), KOLKATA)) == 25  # cut at both ends
    assert buckets_overlapping(Grain.day, *day_bounds(DAY, BERLIN), KOLKATA) == \
        [day_bounds(DAY, KOLKATA)[0], day_bounds(date(2022, 9, 11), KOLKATA)[0]]


def test_a_day_known_only_to_old_zone_marks_is_read_raw_never_taken_for_empty():
    marks = ZonedFakeMarks()
    marks.sealed_berlin_day(DAY)
    start, end = day_bounds(DAY, KOLKATA)
    plan = plan_range("s", KOLKATA, start, end, end + LONG_AFTER, marks)
    assert plan.days == [] and plan.hours == [] and plan.empty_days == []
    berlin_start = day_bounds(DAY, BERLIN)[0]
    assert start < berlin_start < end  # the Kolkata day starts 3.5 hours before the Berlin day
    # its hours overlapping the Berlin day's hours count their events; the hours before, no mark overlaps
    assert plan.raw == [(berlin_start - HOUR_MS // 2, end)]


def test_old_hours_that_are_also_hours_of_the_new_zone_are_read_from_their_rollups():
    marks = ZonedFakeMarks()
    marks.sealed_berlin_day(DAY)
    start, end = day_bounds(DAY, SANTIAGO)  # 5 hours later than Berlin's: 19 of its hours are Berlin's too
    plan = plan_range("s", SANTIAGO, start, end, end + LONG_AFTER, marks)
    assert plan.days == []  # the Santiago day has no day rollup yet
    berlin = set(hours_of_day(DAY, BERLIN))
    assert [h for h, _ in plan.hours] == [h for h in hours_of_day(DAY, SANTIAGO) if h in berlin]
    assert plan.raw == []  # its last hours lie in the next Berlin day, where nothing was ever marked: empty


def test_a_new_zone_day_is_read_from_its_rollup_only_once_old_days_over_it_were_carried_into_its_zone():
    marks = ZonedFakeMarks()
    start, end = day_bounds(DAY, KOLKATA)
    marks.set(Grain.day, start, KOLKATA)  # sealed in Kolkata …
    for hour in hours_of_day(DAY, KOLKATA):
        marks.set(Grain.hour, hour, KOLKATA)
    marks.sealed_berlin_day(DAY)  # … but the Berlin day over it was not carried into Kolkata
    marks.set(Grain.day, day_bounds(date(2022, 9, 9), BERLIN)[0], BERLIN, carried_to=KOLKATA)
    plan = plan_range("s", KOLKATA, start, end, end + LONG_AFTER, marks)
    assert plan.days == []
    # the hours over the Berlin day are read raw, those clear of it from their Kolkata rollups
    assert plan.raw == [(day_bounds(DAY, BERLIN)[0] - HOUR_MS // 2, end)]
    assert [h for h, _ in plan.hours] == [h for h in hours_of_day(DAY, KOLKATA) if h < plan.raw[0][0]]

    marks.sealed_berlin_day(DAY, carried_to=KOLKATA)
    marks.sealed_berlin_day(date(2022, 9, 9), carried_to=KOLKATA)
    plan = plan_range("s", KOLKATA, start, end, end + LONG_AFTER, marks)
    assert plan.days == [(start, end)] and plan.raw == [] and plan.hours == []

    marks.set(Grain.day, day_bounds(DAY, BERLIN)[0], BERLIN, version=2, sealed=1, carried_to=None)  # a late event
    plan = plan_range("s", KOLKATA, start, end, end + LONG_AFTER, marks)
    assert plan.days == []


def test_a_carried_mark_that_changed_since_counts_as_not_carried_and_another_zones_carry_does_not_count():
    carried = MarkState(0, 3, 3, tz=BERLIN, rebucketed_to=KOLKATA, rebucketed_at=3)
    assert carried.carried_into(KOLKATA) and not carried.carried_into(SANTIAGO)
    assert not MarkState(0, 4, 3, tz=BERLIN, rebucketed_to=KOLKATA, rebucketed_at=3).carried_into(KOLKATA)
