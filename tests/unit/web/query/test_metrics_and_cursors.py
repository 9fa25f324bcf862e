"""Metric rounding and changes as Plausible shows them; breakdown cursors are opaque and checked."""

from __future__ import annotations

from datetime import date

import pytest

from tally.platform.errors import InvalidInput
from tally.web.aggregate.rollup import Stats
from tally.web.query.metrics import Metrics, compared, metrics_of
from tally.web.query.periods import DateRange, parse_range
from tally.web.query.service import check_property, decode_cursor, encode_cursor

DAYS = DateRange(date(2024, 3, 1), date(2024, 3, 7), "UTC")


def test_metrics_round_as_plausible():
    stats = Stats(pageviews=10, events=12, visits=3, bounces=2, duration_ms=100_500)
    stats.visitors.add_all(["a", "b"])
    assert metrics_of(stats) == Metrics(visitors=2, visits=3, pageviews=10, views_per_visit=3.33, bounce_rate=67,
                                        visit_duration=34)
    assert metrics_of(Stats()) == Metrics(visitors=0, visits=0, pageviews=0, views_per_visit=0.0, bounce_rate=0,
                                          visit_duration=0)


def test_changes_are_percent_but_bounce_rate_is_points_and_none_from_zero():
    now = Metrics(visitors=15, visits=10, pageviews=0, views_per_visit=1.5, bounce_rate=40, visit_duration=30)
    before = Metrics(visitors=10, visits=5, pageviews=0, views_per_visit=1.0, bounce_rate=50, visit_duration=60)
    result = compared(now, before)
    assert result["visitors"].change == 50
    assert result["visits"].change == 100
    assert result["pageviews"].change is None  # from 0: no percentage
    assert result["bounce_rate"].change == -10
    assert result["visit_duration"].change == -50
    assert compared(now, None)["visitors"].previous is None


def test_against_an_empty_previous_period_there_is_no_change_at_all():
    now = Metrics(visitors=238, visits=250, pageviews=900, views_per_visit=3.6, bounce_rate=40, visit_duration=30)
    empty = Metrics(visitors=0, visits=0, pageviews=0, views_per_visit=0.0, bounce_rate=0, visit_duration=0)
    result = compared(now, empty)
    assert {name: value.change for name, value in result.items()} == dict.fromkeys(result, None)
    assert result["visitors"].previous == 0


def test_a_cursor_resumes_the_same_breakdown_and_is_refused_for_another():
    cursor = encode_cursor(100, "page", DAYS)
    assert decode_cursor(cursor, "page", DAYS) == 100
    with pytest.raises(InvalidInput, match="another property or range"):
        decode_cursor(cursor, "source", DAYS)
    with pytest.raises(InvalidInput, match="not a cursor"):
        decode_cursor("bm9wZQ", "page", DAYS)


def test_properties_of_design_and_event_props_are_accepted_others_are_422():
    for name in ("page", "entry_page", "exit_page", "utm_campaign", "os", "event:name", "event:props:plan"):
        assert check_property(name) == name
    for name in ("event:props:", "visitors", "Page"):
        with pytest.raises(InvalidInput):
            check_property(name)


def test_dates_far_from_now_are_422_not_an_overflow():
    with pytest.raises(InvalidInput, match="outside"):
        parse_range("7d", "UTC", 0, on="0001-01-03")
