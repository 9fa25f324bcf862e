"""After a time zone change the site's page shows the re-bucketing's progress, follows it while the job
runs and drops the line once the job is done — in chromium against the local cloud. The site's stored
days and hours are marks written as the aggregator writes them; the job is the real one, driven a few
marks at a time against the cloud's tables (its schedules are off in tests), then with its clock past
the settling time, so the walk finishes without waiting ten minutes."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
from playwright.sync_api import expect

from tally.web.aggregate.marking import day_due_at, hour_due_at
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.rebucket import SETTLE_MS, Rebucketer
from tally.web.aggregate.rebucket_requests import RebucketRequests, Request
from tally.web.aggregate.zones import HOUR_MS, Grain, day_bounds
from tally_dev.tokens import issue_token
from tests.browser.chromium import Tab
from tests.e2e.owner.test_site_owner_path import DESKTOP, shoot

BERLIN = "Europe/Berlin"


class SitesOverHttp:
    """The job's view of a site (zone, retention, status), read through the API as its owner."""

    def __init__(self, http: httpx.Client, token: str) -> None:
        self.http, self.token = http, token

    def get(self, org_id: str, site_id: str) -> SimpleNamespace | None:
        answer = self.http.get(f"/api/v1/sites/{site_id}", headers={"Authorization": f"Bearer {self.token}"})
        return SimpleNamespace(**answer.json()) if answer.status_code == 200 else None


class OneSite(RebucketRequests):
    """The requests of this test's site only: other tests' sites are not this job's to finish."""

    def __init__(self, table: str, client: Any, site_id: str) -> None:
        super().__init__(table, client)
        self.site_id = site_id

    def pending(self, limit: int) -> list[Request]:
        return [r for r in super().pending(1000) if r.site_id == self.site_id]


def steps(n: int) -> Callable[[], bool]:
    left = iter(range(n))
    return lambda: next(left, None) is None


def test_the_site_page_follows_the_rebucketing_until_it_is_done(local, tab: Tab):
    org = f"org-{uuid.uuid4().hex[:10]}"
    admin = issue_token(org, "org_admin")
    auth = {"Authorization": f"Bearer {admin}"}
    created = local.http.post("/api/v1/sites", headers=auth,
                              json={"domain": f"zones-{uuid.uuid4().hex[:8]}.example", "timezone": BERLIN})
    site = created.raise_for_status().json()
    table, client = local.cloud.tables["RollupsTable"], local.cloud.dynamodb
    marks = DirtyMarks(table, client)
    today = datetime.now(UTC).date()
    for back in range(8):  # eight Berlin days of traffic, two hours each
        start, _ = day_bounds(today - timedelta(days=back), BERLIN)
        marks.touch(site["site_id"], BERLIN, Grain.day, start, day_due_at(start, BERLIN))
        for hour in (start + 8 * HOUR_MS, start + 17 * HOUR_MS):
            marks.touch(site["site_id"], BERLIN, Grain.hour, hour, hour_due_at(hour, BERLIN))

    tab.page.set_viewport_size(DESKTOP)
    tab.page.goto(f"{local.cloud.url}/sites/{site['site_id']}#token={admin}")
    expect(tab.page.locator("#domain")).to_have_text(site["domain"])
    expect(tab.page.locator("#rebucketing")).to_be_hidden()
    zone = tab.page.evaluate("[...document.querySelectorAll('#timezone option')].map(o => o.value)"
                             ".find(v => v === 'Asia/Kolkata' || v === 'Asia/Calcutta')")  # ICU's name for it
    tab.page.select_option("#timezone", zone)
    tab.page.click("#settings-form button[type=submit]")
    line = tab.page.locator("#rebucketing-text")
    expect(line).to_have_text(f"Re-bucketing into {zone}: 0 %…")

    sites, requests = SitesOverHttp(local.http, admin), OneSite(table, client, site["site_id"])
    job = Rebucketer(requests, marks, sites)
    job.run(deadline=steps(5), page=2)  # the newest days carried, then out of its time
    expect(line).to_have_text(re.compile(rf"^Re-bucketing into {zone}: [1-8]\d %…$"), timeout=15_000)
    shoot(tab, "site-rebucketing")

    job.run(deadline=lambda: False, page=2)  # the first walk ends: a check walk follows until the change settles
    expect(line).to_contain_text("checking for late events", timeout=15_000)
    settled = Rebucketer(requests, marks, sites,
                         now_ms=lambda: int(time.time() * 1000) + SETTLE_MS + 1)
    assert settled.run(deadline=lambda: False, page=2).finished >= 1
    expect(tab.page.locator("#rebucketing")).to_be_hidden(timeout=15_000)
    expect(tab.page.locator("#timezone")).to_have_value(zone)
    tab.assert_no_console_errors()
