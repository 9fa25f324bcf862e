"""Metrics as docs/design.md defines them (Plausible's definitions and rounding), from merged `Stats`.

visitors: the estimate of the union of visitor sketches; visits, pageviews: counts;
views_per_visit: pageviews / visits to 2 decimals; bounce_rate: bounced / visits in whole percent;
visit_duration: mean visit duration in whole seconds. A change is the percent change except for
bounce_rate, whose change is the difference in percentage points — as Plausible shows them; there
is no change (null) from 0 or against an empty previous period.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from tally.web.aggregate.rollup import Stats

METRICS = ("visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration")


class Metrics(BaseModel):
    visitors: int = Field(description="Distinct visitors (HLL: exact up to 1,000, within 2 % above).")
    visits: int = Field(description="Visits that started in the range.")
    pageviews: int = Field(description="Pageview events in the range.")
    views_per_visit: float = Field(description="pageviews / visits, 2 decimals.")
    bounce_rate: int = Field(description="Visits with one interactive event, percent of visits.")
    visit_duration: int = Field(description="Mean visit duration in seconds.")


def views_per_visit(pageviews: int, visits: int) -> float:
    return round(pageviews / visits, 2) if visits else 0.0


def bounce_rate(bounces: int, visits: int) -> int:
    return round(bounces / visits * 100) if visits else 0


def visit_duration(duration_ms: int, visits: int) -> int:
    return round(duration_ms / 1000 / visits) if visits else 0


def metrics_of(stats: Stats) -> Metrics:
    return Metrics(
        visitors=stats.visitors.estimate(), visits=stats.visits, pageviews=stats.pageviews,
        views_per_visit=views_per_visit(stats.pageviews, stats.visits),
        bounce_rate=bounce_rate(stats.bounces, stats.visits),
        visit_duration=visit_duration(stats.duration_ms, stats.visits),
    )


def percent_change(previous: float, value: float) -> int:
    if previous == 0:
        return 100 if value > 0 else 0
    return round((value - previous) / previous * 100)


def change(metric: str, previous: float, value: float) -> float:
    if metric == "bounce_rate":
        return value - previous
    return percent_change(previous, value)


class MetricValue(BaseModel):
    value: int | float = Field(description="The metric over the range.")
    previous: int | float | None = Field(default=None,
                                         description="The metric over the previous period (with compare).")
    change: int | float | None = Field(default=None,
                                       description="Percent change (bounce_rate: difference in points); null "
                                                   "without compare, from a previous value of 0, or against an "
                                                   "empty previous period.")


def compared(current: Metrics, previous: Metrics | None) -> dict[str, MetricValue]:
    """Each metric with its previous value and change; no change (null) against an empty previous
    period (no visits: a percentage of nothing is no figure) or from a previous value of 0."""
    result = {}
    for name in METRICS:
        value = getattr(current, name)
        if previous is None:
            result[name] = MetricValue(value=value)
            continue
        before = getattr(previous, name)
        empty = previous.visits == 0 and previous.pageviews == 0 and previous.visitors == 0
        figure = None if empty or (before == 0 and name != "bounce_rate") else change(name, before, value)
        result[name] = MetricValue(value=value, previous=before, change=figure)
    return result
