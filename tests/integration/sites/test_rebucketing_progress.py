"""A site tells how its time zone re-bucketing goes: idle, then running from the PATCH with the share
of its stored days and hours the job has walked, then checking once every bucket was carried, and idle
again once the job finished. The job is driven a few marks at a time, on a handful of marks."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tally.sites.wiring import site_store
from tally.web.aggregate.marking import day_due_at, hour_due_at
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.rebucket import SETTLE_MS, Rebucketer
from tally.web.aggregate.rebucket_requests import RebucketRequests
from tally.web.aggregate.zones import HOUR_MS, Grain, day_bounds
from tests.integration.sites.conftest import IDLE, create

BERLIN, KOLKATA = "Europe/Berlin", "Asia/Kolkata"
DAYS = 6


def steps(n: int) -> Callable[[], bool]:
    """A deadline that lets the job take `n` steps (each check of the deadline is one)."""
    left = iter(range(n))
    return lambda: next(left, None) is None


def never() -> bool:
    return False


def test_the_site_reports_running_with_progress_then_checking_then_idle(call, aws):
    site = create(call, "zones.example", timezone=BERLIN, retention_days=30)
    site_id = site["site_id"]
    marks = DirtyMarks(aws["RollupsTable"])
    today = datetime.now(UTC).date()
    for back in range(DAYS):  # six Berlin days of traffic, three hours each
        start, _ = day_bounds(today - timedelta(days=back), BERLIN)
        marks.touch(site_id, BERLIN, Grain.day, start, day_due_at(start, BERLIN))
        for hour in (start + 1 * HOUR_MS, start + 9 * HOUR_MS, start + 20 * HOUR_MS):
            marks.touch(site_id, BERLIN, Grain.hour, hour, hour_due_at(hour, BERLIN))
    assert call("GET", site_id).body["rebucketing"] == IDLE

    patched = call("PATCH", site_id, body={"timezone": KOLKATA})
    assert patched.status == 200
    started = patched.body["rebucketing"]
    assert {k: started[k] for k in ("state", "progress", "checking", "buckets_carried")} == {
        "state": "running", "progress": 0.0, "checking": False, "buckets_carried": 0}
    assert started["since"] <= patched.body["updated_at"]
    assert call("GET", site_id, role="viewer").body["rebucketing"] == started

    requests = RebucketRequests(aws["RollupsTable"])
    job = Rebucketer(requests, marks, site_store())  # the real clock: the change is not settled yet
    job.run(deadline=steps(5), page=2)  # the newest days carried, then out of time
    part = call("GET", site_id, role="viewer").body["rebucketing"]
    assert (part["state"], part["checking"]) == ("running", False)
    assert 0 < part["buckets_carried"] < DAYS
    assert 0.1 < part["progress"] < 0.9, part  # some of six days walked back, days weighing 0.9

    job.run(deadline=never, page=2)  # the first walk ends; a check walk follows until the change settles
    checking = call("GET", site_id).body["rebucketing"]
    assert (checking["state"], checking["progress"], checking["checking"]) == ("running", 1.0, True)

    settled = Rebucketer(requests, marks, site_store(), now_ms=lambda: int(time.time() * 1000) + SETTLE_MS + 1)
    assert settled.run(deadline=never, page=2).finished == 1
    assert call("GET", site_id).body["rebucketing"] == IDLE
    assert call("GET", site_id).body["timezone"] == KOLKATA


def test_another_orgs_change_shows_nowhere_else_and_a_deleting_site_is_idle(call, aws):
    mine = create(call, "mine.zones.example", timezone=BERLIN)
    theirs = create(call, "theirs.zones.example", org="rival", timezone=BERLIN)
    assert call("PATCH", theirs["site_id"], org="rival", body={"timezone": KOLKATA}).status == 200
    assert call("GET", mine["site_id"]).body["rebucketing"] == IDLE
    assert call("GET", theirs["site_id"]).status == 404
    assert call("PATCH", mine["site_id"], body={"timezone": KOLKATA}).body["rebucketing"]["state"] == "running"
    assert call("DELETE", mine["site_id"]).status == 202
    assert call("GET", mine["site_id"]).body["rebucketing"] == IDLE  # its request goes with its data
