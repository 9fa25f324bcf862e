"""The range plan: day rollups where a day is sealed and current, hours at the edges, raw only where unsealed."""

from __future__ import annotations

from datetime import date, timedelta

from tally.web.aggregate.marking import hour_due_at
from tally.web.aggregate.zones import HOUR_MS, Grain, day_bounds, hours_of_day
from tally.web.query.range_plan import LOOKBACK_MS, MarkState, plan_range

TZ = "America/Santiago"  # 2022-09-11 has 23 hours (midnight skipped)
FIRST = date(2022, 9, 9)


class FakeMarks:
    def __init__(self) -> None:
        self.state: dict[Grain, dict[int, MarkState]] = {Grain.day: {}, Grain.hour: {}}
        self.queries: list[tuple[Grain, int, int]] = []

    def set(self, grain: Grain, start: int, version: int, sealed: int) -> None:
        self.state[grain][start] = MarkState(start, version, sealed)

    def marks(self, site_id, grain, start_ms, end_ms):
        self.queries.append((grain, start_ms, end_ms))
        return {s: m for s, m in self.state[grain].items() if start_ms <= s < end_ms}


def days(n: int) -> list[date]:
    return [FIRST + timedelta(days=i) for i in range(n)]


def test_sealed_current_days_come_from_day_rollups_and_nothing_else_is_read():
    marks = FakeMarks()
    for day in days(5):
        marks.set(Grain.day, day_bounds(day, TZ)[0], 3, 3)
    start, end = day_bounds(FIRST, TZ)[0], day_bounds(FIRST + timedelta(days=4), TZ)[1]
    plan = plan_range("s", TZ, start, end, end + 10 * 86_400_000, marks)
    assert plan.days == [day_bounds(d, TZ) for d in days(5)]
    assert plan.hours == [] and plan.raw == []
    assert [q[0] for q in marks.queries] == [Grain.day]  # one query of day marks, whatever the range; no hours


def test_hour_marks_are_read_only_where_days_are_not_current_and_empty_past_days_cost_nothing():
    marks = FakeMarks()
    sealed, empty, changed = days(5)[0:2] + days(5)[3:5], days(5)[2], days(5)[4]
    for day in sealed:
        marks.set(Grain.day, day_bounds(day, TZ)[0], 3 if day == changed else 2, 2)
    for hour in hours_of_day(changed, TZ):
        marks.set(Grain.hour, hour, 1, 1)
    start, end = day_bounds(FIRST, TZ)[0], day_bounds(changed, TZ)[1]
    plan = plan_range("s", TZ, start, end, end + 10 * 86_400_000, marks)
    assert plan.days == [day_bounds(d, TZ) for d in sealed if d != changed]
    assert day_bounds(empty, TZ)[0] not in {s for s, _ in plan.covered()}  # never marked: no event landed there
    assert len(plan.hours) == 24 and plan.raw == []
    # the changed day's hours only (from 2 hours earlier: an hour of another zone there may overlap it)
    assert marks.queries[1:] == [(Grain.hour, day_bounds(changed, TZ)[0] - LOOKBACK_MS[Grain.hour],
                                  day_bounds(changed, TZ)[1])]


def test_a_sealed_day_with_an_hour_changed_since_is_not_read_from_its_day_rollup():
    marks = FakeMarks()
    day = date(2022, 9, 10)
    marks.set(Grain.day, day_bounds(day, TZ)[0], 5, 4)  # marking the hour marked its day first
    hours = hours_of_day(day, TZ)
    for hour in hours:
        marks.set(Grain.hour, hour, 1, 1)
    marks.set(Grain.hour, hours[20], 2, 1)  # an imported event, not resealed yet
    plan = plan_range("s", TZ, *day_bounds(day, TZ), day_bounds(day, TZ)[1] + 10 * 86_400_000, marks)
    assert plan.days == []
    assert plan.raw == [(hours[20], hours[21])] and len(plan.hours) == 23


def test_a_day_changed_since_sealing_is_read_from_its_sealed_hours_and_raw_for_its_dirty_hour():
    marks = FakeMarks()
    dst_day = date(2022, 9, 11)
    for day in days(3):
        marks.set(Grain.day, day_bounds(day, TZ)[0], 2 if day != dst_day else 3, 2)
    hours = hours_of_day(dst_day, TZ)
    assert len(hours) == 23
    for hour in hours:
        marks.set(Grain.hour, hour, 1, 1)
    marks.set(Grain.hour, hours[5], 2, 1)  # a late event since the seal
    start, end = day_bounds(FIRST, TZ)[0], day_bounds(dst_day, TZ)[1]
    plan = plan_range("s", TZ, start, end, end + 10 * 86_400_000, marks)
    assert plan.days == [day_bounds(d, TZ) for d in days(2)]
    assert len(plan.hours) == 22 and hours[5] not in {h for h, _ in plan.hours}
    assert plan.raw == [(hours[5], hours[6])]
    assert plan.covered()[0][0] == start and sum(e - s for s, e in plan.covered()) == end - start


def test_hours_never_marked_and_long_past_are_empty_but_recent_ones_are_read_raw():
    marks = FakeMarks()
    day = date(2022, 9, 12)
    start, end = day_bounds(day, TZ)
    now = start + 5 * HOUR_MS + 600_000  # 00:10 past the 5th local hour
    plan = plan_range("s", TZ, start, end, now, marks)
    assert plan.end_ms == now  # nothing after now exists
    recent = [h for h in hours_of_day(day, TZ) if hour_due_at(h, TZ) > now]
    assert plan.days == [] and plan.hours == []
    assert plan.raw == [(recent[0], now)]


def test_a_query_zone_other_than_the_sites_reads_the_cut_hours_raw():
    marks = FakeMarks()
    site_day = date(2022, 9, 12)
    for hour in [h for d in (-1, 0, 1) for h in hours_of_day(site_day + timedelta(days=d), TZ)]:
        marks.set(Grain.hour, hour, 1, 1)
    start = day_bounds(site_day, "Asia/Kolkata")[0]  # :30 offset: every site hour is cut in two at the edges
    end = start + 86_400_000
    plan = plan_range("s", TZ, start, end, end + 10 * 86_400_000, marks)
    assert plan.days == []
    assert plan.raw == [(start, start + 1_800_000), (end - 1_800_000, end)]
    assert sum(e - s for s, e in plan.covered()) == end - start
