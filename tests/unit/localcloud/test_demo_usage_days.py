"""The demo's past days of "my usage": a pattern spread over the days, every moment in the past, each API
key's visits kept in one lane in time order (the recorder tells a key's sessions apart by that order)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from tally_dev.demo_usage_days import PAST_DAYS, lanes, plan, requests_of


@pytest.mark.parametrize("today", [date(2026, 12, 2), date(2026, 12, 6), date(2027, 3, 1)])
def test_the_plan_covers_most_of_the_past_days_with_browser_sessions_and_key_sessions(today):
    visits = plan(today)
    days = {v.start.date() for v in visits}
    key_days = [v.start.date() for v in visits if v.credential == "viewer key"]

    assert len(days) == PAST_DAYS
    assert len({v.start.date() for v in visits if not v.credential.endswith(" key")}) >= 4
    assert len(set(key_days)) >= 4 and len(key_days) > len(set(key_days))  # one day has two key sessions
    assert all(moment < datetime.combine(today, datetime.min.time(), UTC) for moment, *_ in requests_of(visits))
    assert plan(today) == visits


def test_each_api_key_s_visits_share_one_lane_in_time_order_and_every_visit_is_sent_once():
    visits = plan(date(2026, 12, 2))
    split = lanes(visits)

    assert sorted((v for lane in split for v in lane), key=lambda v: (v.start, v.credential)) == sorted(
        visits, key=lambda v: (v.start, v.credential))
    for credential in ("viewer key", "admin key"):
        [lane] = [lane for lane in split if any(v.credential == credential for v in lane)]
        assert all(v.credential == credential for v in lane)
        assert [v.start for v in lane] == sorted(v.start for v in lane)
    # a visit's requests are far apart from the next visit of the same key: one session each
    keyed = [v for v in visits if v.credential == "viewer key"]
    assert all(b.start - a.start > timedelta(minutes=30) for a, b in itertools.pairwise(keyed))
