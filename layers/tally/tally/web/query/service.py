"""The stats service: overview, time series, breakdown and realtime of one site.

The handler resolves the caller's site (tenancy) and passes it here with the stores; nothing here
reads the environment.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from tally.platform.errors import InvalidInput
from tally.web.aggregate.events import ENGAGEMENT
from tally.web.aggregate.rollup import (
    EVENT_DIMENSIONS,
    GOAL_PROPS_PREFIX,
    PROPS_PREFIX,
    VISIT_DIMENSIONS,
    Rollup,
    Stats,
    goal_prop_of,
)
from tally.web.aggregate.zones import (
    MINUTE_MS,
    Grain,
    bucket_start,
    day_bounds,
    day_of,
    hours_of_day,
    minute_start,
    to_utc,
    zone,
)
from tally.web.query.answers import ROWS_PER_CHUNK, SettledRange, answer_key, chunks_of, decode_values, encode_values
from tally.web.query.comparison import current_point, previous_period
from tally.web.query.completeness import Completeness, completeness
from tally.web.query.metrics import (
    Metrics,
    MetricValue,
    bounce_rate,
    compared,
    metrics_of,
    views_per_visit,
    visit_duration,
)
from tally.web.query.periods import DateRange
from tally.web.query.range_plan import RangePlan
from tally.web.query.reader import StatsSources

REALTIME_MS = 5 * 60_000
MAX_HOURLY_DAYS = 31
MAX_MINUTE_DAYS = 2
PROPERTIES = (*EVENT_DIMENSIONS[:1], *VISIT_DIMENSIONS, *EVENT_DIMENSIONS[1:])
#: Goals, as Plausible's: the custom events (never `pageview`, never `engagement`) with unique conversions
#: (`visitors`), total conversions (`events`) and conversion rate (unique converters / visitors of the period).
GOAL = "goal"
NOT_GOALS = frozenset({"pageview", ENGAGEMENT})
#: With the filter `event:goal==<name>`: `event:props` lists the goal's property keys, `event:props:<key>`
#: that key's values, each with the goal's unique conversions, total conversions and conversion rate.
GOAL_FILTER = "event:goal=="
PROPS_KEYS = "event:props"


class Interval(StrEnum):
    minute = "minute"
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"


class RangeOut(BaseModel):
    date_from: date = Field(alias="from", description="First day of the range (inclusive).")
    date_to: date = Field(alias="to", description="Last day of the range (inclusive).")
    tz: str = Field(description="The time zone of the days.")

    model_config = {"populate_by_name": True}


def _range_out(days: DateRange) -> RangeOut:
    return RangeOut(date_from=days.first, date_to=days.last, tz=days.tz)


class Overview(Completeness):
    site_id: str
    range: RangeOut
    previous_range: RangeOut | None = Field(
        default=None, description="With `compare`: the period compared with. For whole calendar months, the "
        "same number of months just before (this month: last month); otherwise the same number of days just before.")
    previous_until: datetime | None = Field(
        default=None, description="With `compare`, while the range is still running (it contains now): the "
        "previous period is counted only until this instant, the same elapsed part of it in local wall-clock "
        "time (today until 14:05 against yesterday until 14:05). Null when it is counted whole.")
    results: dict[str, MetricValue] = Field(description="Each metric, with its previous value and change on compare.")


class TimeseriesPoint(BaseModel):
    date: str = Field(description="Start of the interval: a local date, or an ISO time with offset for hours.")
    visitors: int
    visits: int
    pageviews: int
    views_per_visit: float
    bounce_rate: int
    visit_duration: int


class Timeseries(Completeness):
    site_id: str
    range: RangeOut
    interval: Interval
    results: list[TimeseriesPoint]
    current_point: str | None = Field(
        default=None, description="The `date` of the point whose interval contains now: it is partial (still "
        "counting), and the points after it lie in the future (zeros, not yet data). Null when the range is over.")


class BreakdownRow(BaseModel):
    value: str = Field(description="The property's value.")
    visitors: int
    pageviews: int | None = Field(default=None, description="For pages and event names.")
    events: int | None = Field(default=None, description="For event names and event properties.")
    visits: int | None = Field(default=None, description="For visit properties (entry page, source, …).")
    bounce_rate: int | None = None
    visit_duration: int | None = None
    conversion_rate: float | None = Field(
        default=None, description="For goals and a goal's properties: unique conversions (`visitors`) / "
                                  "visitors of the period, percent with 2 decimals.")


class Breakdown(Completeness):
    site_id: str
    range: RangeOut
    property: str
    goal: str | None = Field(default=None, description="With `filters=event:goal==<name>`: the goal whose "
                                                       "properties these rows are.")
    results: list[BreakdownRow]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class RealtimePage(BaseModel):
    page: str
    visitors: int


class Realtime(Completeness):
    site_id: str
    visitors: int = Field(description="Distinct visitors with an event in the last 5 minutes.")
    pages: list[RealtimePage] = Field(description="Where they are: each visitor's latest page, most visitors first.")


def _state(sources: StatsSources, site_id: str) -> dict[str, Any]:
    """The answer's `complete`/`pending` fields; what it left out is asked to be sealed first."""
    sources.ask_sealing(site_id)
    return completeness(sources.pending)


# -- overview ---------------------------------------------------------------------------------------
def _metrics(sources: StatsSources, site_id: str, site_tz: str, days: DateRange,
             until_ms: int | None = None) -> Metrics:
    """The range's metrics: a settled range's kept answer when there is one, else computed (and kept).

    With `until_ms` the range is counted until that instant only (the elapsed part a running period
    is compared with): computed, never kept."""
    if until_ms is not None:
        return metrics_of(sources.totals(site_id, site_tz, sources.plan(site_id, site_tz, days.start_ms, until_ms)))
    plan = sources.plan(site_id, site_tz, days.start_ms, days.end_ms)
    settled = sources.settled(site_id, plan, days.end_ms)
    key = answer_key("overview", days.first.isoformat(), days.last.isoformat(), days.tz)
    if settled is not None and 0 in (kept := settled.get(key, [0])):
        return Metrics.model_validate(kept[0])
    metrics = metrics_of(sources.totals(site_id, site_tz, plan))
    if settled is not None:
        settled.put(key, [metrics.model_dump()])
    return metrics


def overview(sources: StatsSources, site_id: str, site_tz: str, days: DateRange, *, compare: bool) -> Overview:
    """With `compare`, the previous period as `tally.web.query.comparison` defines it: the same elapsed
    part of it while this one is still running, and no change against an empty one."""
    current = _metrics(sources, site_id, site_tz, days)
    against = previous_period(days, sources.now_ms()) if compare else None
    before = _metrics(sources, site_id, site_tz, against.previous, against.until_ms) if against else None
    until = to_utc(against.until_ms) if against and against.until_ms is not None else None
    return Overview(site_id=site_id, range=_range_out(days),
                    previous_range=_range_out(against.previous) if against else None, previous_until=until,
                    results=compared(current, before), **_state(sources, site_id))


# -- time series ------------------------------------------------------------------------------------
def _point_key(interval: Interval, start_ms: int, tz: str) -> str:
    if interval is Interval.minute:
        return to_utc(minute_start(start_ms)).astimezone(zone(tz)).isoformat()
    if interval is Interval.hour:
        return to_utc(bucket_start(Grain.hour, start_ms, tz)).astimezone(zone(tz)).isoformat()
    day = day_of(start_ms, tz)
    if interval is Interval.week:
        day -= timedelta(days=day.weekday())
    elif interval is Interval.month:
        day = day.replace(day=1)
    return day.isoformat()


def _all_keys(interval: Interval, days: DateRange) -> list[str]:
    keys: list[str] = []
    if interval is Interval.minute:
        return [_point_key(interval, m, days.tz) for m in range(days.start_ms, days.end_ms, MINUTE_MS)]
    if interval is Interval.hour:
        day = days.first
        while day <= days.last:
            keys.extend(_point_key(interval, h, days.tz) for h in hours_of_day(day, days.tz))
            day += timedelta(days=1)
        return keys
    day = days.first
    while day <= days.last:
        key = _point_key(interval, day_bounds(day, days.tz)[0], days.tz)
        if not keys or keys[-1] != key:
            keys.append(key)
        day += timedelta(days=1)
    return keys


def _day_metrics(counts: tuple[int, ...]) -> Metrics:
    """A sealed day's metrics from its mark: its counters and its visitor estimate."""
    pageviews, _events, visits, bounces, duration_ms, visitors = counts[:6]
    return Metrics(visitors=visitors, visits=visits, pageviews=pageviews,
                   views_per_visit=views_per_visit(pageviews, visits), bounce_rate=bounce_rate(bounces, visits),
                   visit_duration=visit_duration(duration_ms, visits))


def _sealed_days(sources: StatsSources, site_id: str, site_tz: str, plan: RangePlan, interval: Interval,
                 buckets: dict[str, Stats]) -> tuple[dict[str, Metrics], RangePlan]:
    """The plan's sealed days, answered without their rollups where possible; returns the points
    they make whole and the plan of what is left to read.

    A daily point of a sealed day is its mark (counters and visitor estimate). A week or month
    merges its sealed days like an overview does — counters from marks, visitors from spans —
    into its bucket, where the bucket's open days (today's hours, raw events) join it.
    """
    points: dict[str, Metrics] = {}
    done: set[int] = set()
    by_key: dict[str, list[tuple[int, int]]] = {}
    for span in plan.days:
        by_key.setdefault(_point_key(interval, span[0], site_tz), []).append(span)
    for key, spans in by_key.items():
        if interval is Interval.day:
            start = spans[0][0]
            counts = plan.day_marks[start].counts
            if plan.day_marks[start].visitors is not None and counts is not None:
                points[key] = _day_metrics(counts)
                done.add(start)
            continue
        empty = [e for e in plan.empty_days if _point_key(interval, e[0], site_tz) == key]
        part = RangePlan(spans[0][0], spans[-1][1], days=spans, empty_days=empty,
                         day_marks={start: plan.day_marks[start] for start, _ in spans})
        buckets[key].merge(sources.totals(site_id, site_tz, part))
        done.update(start for start, _ in spans)
    rest = RangePlan(plan.start_ms, plan.end_ms, days=[d for d in plan.days if d[0] not in done], hours=plan.hours,
                     raw=plan.raw, empty_days=plan.empty_days, day_marks=plan.day_marks)
    return points, rest


def timeseries(sources: StatsSources, site_id: str, site_tz: str, days: DateRange, interval: Interval) -> Timeseries:
    if interval is Interval.hour and days.days > MAX_HOURLY_DAYS:
        raise InvalidInput(f"interval=hour covers at most {MAX_HOURLY_DAYS} days; this range has {days.days}",
                           details=[{"field": "interval", "rule": f"hour: at most {MAX_HOURLY_DAYS} days",
                                     "type": "value"}])
    if interval is Interval.minute and days.days > MAX_MINUTE_DAYS:
        raise InvalidInput(f"interval=minute covers at most {MAX_MINUTE_DAYS} days; this range has {days.days}",
                           details=[{"field": "interval", "rule": f"minute: at most {MAX_MINUTE_DAYS} days",
                                     "type": "value"}])
    hourly = interval in (Interval.minute, Interval.hour) or days.tz != site_tz
    plan = sources.plan(site_id, site_tz, days.start_ms, days.end_ms, use_days=not hourly)
    buckets = {key: Stats() for key in _all_keys(interval, days)}
    sealed_points: dict[str, Metrics] = {}
    if interval is Interval.minute:
        pieces = sources.minute_pieces(site_id, site_tz, plan)
    else:
        if not hourly:
            sealed_points, plan = _sealed_days(sources, site_id, site_tz, plan, interval, buckets)
        pieces = sources.pieces(site_id, site_tz, plan, dimensions=False)
    for piece in pieces:
        buckets.setdefault(_point_key(interval, piece.start_ms, days.tz), Stats()).merge(piece.totals)
    points = [TimeseriesPoint(date=key, **(sealed_points.get(key) or metrics_of(stats)).model_dump())
              for key, stats in buckets.items()]
    now_ms = sources.now_ms()
    now_key = _point_key(interval, now_ms, days.tz) if days.start_ms <= now_ms < days.end_ms else None
    return Timeseries(site_id=site_id, range=_range_out(days), interval=interval, results=points,
                      current_point=current_point(list(buckets), now_key), **_state(sources, site_id))


# -- breakdown --------------------------------------------------------------------------------------
def check_property(name: str) -> str:
    if name in PROPERTIES or name == GOAL or (name.startswith(PROPS_PREFIX) and len(name) > len(PROPS_PREFIX)):
        return name
    allowed = ", ".join((*PROPERTIES, GOAL))
    raise InvalidInput(f"property: {name!r} is not one of {allowed}, event:props:<key>",
                       details=[{"field": "property", "rule": f"one of {allowed}, event:props:<key>",
                                 "type": "value"}])


def _row(name: str, value: str, stats: Stats) -> BreakdownRow:
    row = BreakdownRow(value=value, visitors=stats.visitors.estimate())
    if name == "page":
        row.pageviews = stats.pageviews
    elif name == "event:name":
        row.events, row.pageviews = stats.events, stats.pageviews
    elif name.startswith(PROPS_PREFIX):
        row.events = stats.events
    else:
        row.visits = stats.visits
        row.bounce_rate = bounce_rate(stats.bounces, stats.visits)
        row.visit_duration = visit_duration(stats.duration_ms, stats.visits)
    return row


def _sort_key(row: BreakdownRow) -> tuple[int, int, str]:
    second = row.pageviews if row.pageviews is not None else row.events if row.events is not None else row.visits
    return (-row.visitors, -(second or 0), row.value)


def encode_cursor(offset: int, name: str, days: DateRange) -> str:
    state = {"o": offset, "p": name, "r": [days.first.isoformat(), days.last.isoformat(), days.tz]}
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, name: str, days: DateRange) -> int:
    if not cursor:
        return 0
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(state["o"])
        same = state["p"] == name and state["r"] == [days.first.isoformat(), days.last.isoformat(), days.tz]
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidInput("cursor: not a cursor this endpoint returned",
                           details=[{"field": "cursor", "rule": "a next_cursor of a previous page",
                                     "type": "value"}]) from error
    if not same or offset < 0:
        raise InvalidInput("cursor: it belongs to another property or range",
                           details=[{"field": "cursor", "rule": "same property and range as the first page",
                                     "type": "value"}])
    return offset


def _kept_rows(settled: SettledRange, key: str, offset: int, limit: int) -> tuple[list[BreakdownRow], int] | None:
    """Rows [offset, offset + limit) of a kept breakdown and its row count; None on a miss."""
    chunks = chunks_of(offset, limit)
    kept = settled.get(key, chunks)
    if chunks[0] not in kept:
        return None
    total = int(kept[chunks[0]]["n"])  # every chunk carries the row count
    needed = [chunk for chunk in chunks if chunk * ROWS_PER_CHUNK < total]
    if any(chunk not in kept for chunk in needed):
        return None
    rows = [BreakdownRow.model_validate(row) for chunk in needed for row in kept[chunk]["rows"]]
    skip = offset - chunks[0] * ROWS_PER_CHUNK
    return rows[skip:skip + limit], total


def _merged(pieces: list[Rollup], name: str) -> dict[str, Stats]:
    """The property's values over the pieces. `engagement` is not listed among event names, as in
    Plausible: it is the tracker's measure of time on a page, not an action of the visitor (it still
    counts where it belongs — it lengthens its visit and never undoes a bounce)."""
    merged: dict[str, Stats] = {}
    for piece in pieces:
        for value, stats in piece.dims.get(name, {}).items():
            merged.setdefault(value, Stats()).merge(stats)
    if name == "event:name":
        merged.pop(ENGAGEMENT, None)
    return merged


def _computed_rows(sources: StatsSources, site_id: str, site_tz: str, name: str, plan: RangePlan, *,
                   settled: bool) -> list[BreakdownRow]:
    """Every row of the plan's breakdown, sorted."""
    values = _computed_values(sources, site_id, site_tz, name, plan, settled=settled)
    return sorted((_row(name, v, s) for v, s in values.items()), key=_sort_key)


def _computed_values(sources: StatsSources, site_id: str, site_tz: str, name: str, plan: RangePlan, *,
                     settled: bool) -> dict[str, Stats]:
    """The plan's breakdown as each value's counts. A range that is not settled (it reaches today, or
    a day changed) still keeps the merged values of its sealed days — their visitor sketches too, so
    that today's visitors union with them — and the next query reads those instead of every day."""
    values: dict[str, Stats] = {}
    rest = plan
    sealed = sources.sealed_days(site_id, plan) if not settled and len(plan.days) > 1 else None
    if sealed is not None:
        key = answer_key("breakdown-days", name, site_tz, *(str(start) for start, _ in plan.days))
        kept = sealed.get_all(key)
        if kept is not None:
            values = decode_values(kept)
        else:
            days_only = RangePlan(plan.start_ms, plan.end_ms, days=plan.days, day_marks=plan.day_marks)
            values = _merged(sources.pieces(site_id, site_tz, days_only, dimensions=False, only=name), name)
            sealed.put_parts(key, encode_values(values))
        rest = RangePlan(plan.start_ms, plan.end_ms, hours=plan.hours, raw=plan.raw)
    for value, stats in _merged(sources.pieces(site_id, site_tz, rest, dimensions=False, only=name), name).items():
        values.setdefault(value, Stats()).merge(stats)
    return values


def goals(sources: StatsSources, site_id: str, site_tz: str, days: DateRange, *, limit: int,
          cursor: str | None) -> Breakdown:
    """The custom events as goals, from the event-name rollups and the period's visitors (both as kept
    or merged as any breakdown and overview are): no other data."""
    offset = decode_cursor(cursor, GOAL, days)
    plan = sources.plan(site_id, site_tz, days.start_ms, days.end_ms)
    settled = sources.settled(site_id, plan, days.end_ms)
    rows = [row for row in _computed_rows(sources, site_id, site_tz, "event:name", plan, settled=settled is not None)
            if row.value not in NOT_GOALS]
    visitors = _metrics(sources, site_id, site_tz, days).visitors
    for row in rows:
        row.pageviews = None
        row.conversion_rate = _rate(row.visitors, visitors)
    page = rows[offset:offset + limit]
    more = offset + limit < len(rows)
    return Breakdown(site_id=site_id, range=_range_out(days), property=GOAL, results=page,
                     next_cursor=encode_cursor(offset + limit, GOAL, days) if more else None,
                     **_state(sources, site_id))


def goal_filter(filters: str | None, name: str) -> str | None:
    """The goal a breakdown is filtered by (Plausible v1's `event:goal==<name>`), None without filters.

    Only that filter exists yet, and only for the property breakdowns (`event:props`, `event:props:<key>`)."""
    if not filters:
        return None
    rule = "event:goal==<name>, with property event:props or event:props:<key>"
    goal = filters[len(GOAL_FILTER):] if filters.startswith(GOAL_FILTER) else ""
    if not goal or ";" in goal:
        raise InvalidInput(f"filters: only {GOAL_FILTER}<name> is supported, not {filters!r}",
                           details=[{"field": "filters", "rule": rule, "type": "value"}])
    if name != PROPS_KEYS and not name.startswith(PROPS_PREFIX):
        raise InvalidInput(f"filters: {GOAL_FILTER}<name> goes with property event:props or event:props:<key>, "
                           f"not {name!r}", details=[{"field": "filters", "rule": rule, "type": "value"}])
    if goal in NOT_GOALS:
        raise InvalidInput(f"filters: {goal!r} is not a goal (goals are the custom events)",
                           details=[{"field": "filters", "rule": rule, "type": "value"}])
    return goal


def _goal_prop_values(sources: StatsSources, site_id: str, site_tz: str, goal: str, key: str | None,
                      plan: RangePlan, *, settled: bool) -> dict[str, Stats]:
    """The goal's prop values of `key` (or, without a key, its keys), from the goal's own props dimension."""
    values: dict[str, Stats] = {}
    for pair, stats in _computed_values(sources, site_id, site_tz, GOAL_PROPS_PREFIX + goal, plan,
                                        settled=settled).items():
        prop_key, prop_value = goal_prop_of(pair)
        if key is None:
            values.setdefault(prop_key, Stats()).merge(stats)
        elif prop_key == key:
            values[prop_value] = stats
    return values


def goal_props(sources: StatsSources, site_id: str, site_tz: str, days: DateRange, name: str, goal: str, *,
               limit: int, cursor: str | None) -> Breakdown:
    """A goal's properties, as Plausible's Properties panel under a goal filter: with `event:props` the keys
    the goal's events carried, with `event:props:<key>` that key's values; each row with the goal's unique
    conversions (`visitors`), total conversions (`events`) and conversion rate (/ visitors of the period)."""
    asked = f"{name}|{GOAL_FILTER}{goal}"
    key = name[len(PROPS_PREFIX):] if name.startswith(PROPS_PREFIX) else None
    offset = decode_cursor(cursor, asked, days)
    plan = sources.plan(site_id, site_tz, days.start_ms, days.end_ms)
    settled = sources.settled(site_id, plan, days.end_ms)

    def rows() -> list[BreakdownRow]:
        values = _goal_prop_values(sources, site_id, site_tz, goal, key, plan, settled=settled is not None)
        visitors = _metrics(sources, site_id, site_tz, days).visitors
        return sorted((BreakdownRow(value=value, visitors=stats.visitors.estimate(), events=stats.events,
                                    conversion_rate=_rate(stats.visitors.estimate(), visitors))
                       for value, stats in values.items()), key=_sort_key)

    answer = answer_key("breakdown", asked, days.first.isoformat(), days.last.isoformat(), days.tz)
    page, total = _page_of(settled, answer, offset, limit, rows)
    more = offset + limit < total
    return Breakdown(site_id=site_id, range=_range_out(days), property=name, goal=goal, results=page,
                     next_cursor=encode_cursor(offset + limit, asked, days) if more else None,
                     **_state(sources, site_id))


def _page_of(settled: SettledRange | None, key: str, offset: int, limit: int,
             compute: Callable[[], list[BreakdownRow]]) -> tuple[list[BreakdownRow], int]:
    """Rows [offset, offset + limit) and the row count: a settled range's kept rows, else computed (and
    kept when the range is settled)."""
    kept = _kept_rows(settled, key, offset, limit) if settled is not None else None
    if kept is not None:
        return kept
    rows = compute()
    if settled is not None:
        settled.put(key, [
            {"n": len(rows), "rows": [row.model_dump(exclude_none=True) for row in rows[at:at + ROWS_PER_CHUNK]]}
            for at in range(0, max(len(rows), 1), ROWS_PER_CHUNK)])
    return rows[offset:offset + limit], len(rows)


def _rate(converters: int, visitors: int) -> float:
    return round(converters / visitors * 100, 2) if visitors else 0.0


def breakdown(sources: StatsSources, site_id: str, site_tz: str, days: DateRange, name: str, *, limit: int,
              cursor: str | None, filters: str | None = None) -> Breakdown:
    goal = goal_filter(filters, name)
    if goal is not None:
        return goal_props(sources, site_id, site_tz, days, name, goal, limit=limit, cursor=cursor)
    name = check_property(name)
    if name == GOAL:
        return goals(sources, site_id, site_tz, days, limit=limit, cursor=cursor)
    offset = decode_cursor(cursor, name, days)
    plan = sources.plan(site_id, site_tz, days.start_ms, days.end_ms)
    settled = sources.settled(site_id, plan, days.end_ms)
    key = answer_key("breakdown", name, days.first.isoformat(), days.last.isoformat(), days.tz)
    page, total = _page_of(settled, key, offset, limit,
                           lambda: _computed_rows(sources, site_id, site_tz, name, plan, settled=settled is not None))
    more = offset + limit < total
    return Breakdown(site_id=site_id, range=_range_out(days), property=name, results=page,
                     next_cursor=encode_cursor(offset + limit, name, days) if more else None,
                     **_state(sources, site_id))


# -- counts (the stats exports) ----------------------------------------------------------------------
def range_counts(sources: StatsSources, site_id: str, site_tz: str, days: DateRange) -> Stats:
    """The range's counters and visitors, as the overview computes them (before rates and means)."""
    return sources.totals(site_id, site_tz, sources.plan(site_id, site_tz, days.start_ms, days.end_ms))


def breakdown_counts(sources: StatsSources, site_id: str, site_tz: str, days: DateRange,
                     names: list[str]) -> dict[str, dict[str, Stats]]:
    """Every value of each breakdown with its counters and visitors, as `breakdown` computes them (the same
    pieces merged by the same `_merged`), reading the range's pieces once with every dimension rather than
    once per property."""
    names = [check_property(name) for name in names]
    plan = sources.plan(site_id, site_tz, days.start_ms, days.end_ms)
    pieces = sources.pieces(site_id, site_tz, plan, dimensions=True)
    return {name: _merged(pieces, name) for name in names}


def counts_complete(sources: StatsSources, site_id: str) -> bool:
    """Whether every count read so far was exact; if not, what was left out is asked to be sealed first."""
    if not sources.pending:
        return True
    sources.ask_sealing(site_id)
    return False


# -- realtime ---------------------------------------------------------------------------------------
def realtime(sources: StatsSources, site_id: str, *, max_pages: int = 20) -> Realtime:
    now = sources.now_ms()
    latest: dict[str, tuple[int, str]] = {}
    # newest first within the raw read bound: past it, the visitors seen last are counted (each on
    # its latest page) and the older rest of the 5 minutes is named pending
    for event in sources.recent(site_id, now - REALTIME_MS, now + 1):
        if event.visitor not in latest or latest[event.visitor][0] <= event.ts_ms:
            latest[event.visitor] = (event.ts_ms, event.page)
    pages: dict[str, int] = {}
    for _, page in latest.values():
        pages[page] = pages.get(page, 0) + 1
    ordered = sorted(pages.items(), key=lambda item: (-item[1], item[0]))[:max_pages]
    return Realtime(site_id=site_id, visitors=len(latest),
                    pages=[RealtimePage(page=p, visitors=n) for p, n in ordered],
                    **completeness(sources.pending))  # open minutes: nothing to ask the sealer for
