"""`make dev`'s "my usage" step (tally_dev/demo_usage.py) leaves the demo viewer something in every tab of
/me/stats, through the product's own paths: recorded requests, audited reads, a finished export — over
several past days (requests made at past moments by the local cloud's request-time header), not only today.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect

from tally_dev.demo_background import DemoContext
from tally_dev.demo_traffic import SITES, ensure_site
from tally_dev.demo_usage import load_my_usage
from tests.browser.chromium import Tab


def _all_rows(local: Any, path: str, key: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    params: dict[str, str] = {"limit": "100"}
    for _ in range(50):  # bounded: the demo leaves a few hundred rows
        page = local.http.get(path, headers=headers, params=params).json()
        rows += page[key]
        if not page.get("next_cursor"):
            return rows
        params["cursor"] = page["next_cursor"]
    raise AssertionError(f"{path} kept paginating")


def test_the_demo_viewer_has_several_days_of_usage_sessions_data_access_and_a_finished_export(local, tab: Tab):
    # `make dev` creates the demo site before this step runs; the shared test cloud may not have yet.
    ensure_site(local.http, SITES[0], {"Authorization": f"Bearer {local.demo.token('demo', 'org_admin')}"})
    load_my_usage(DemoContext(local.cloud, local.demo))
    token = local.demo.token("demo", "viewer")
    headers = {"Authorization": f"Bearer {token}"}
    today = datetime.now(UTC).date().isoformat()

    exports = local.http.get("/api/v1/me/stats/exports", headers=headers).json()
    assert exports["last_export"]["status"] == "ready"
    assert {"export.requested", "export.download"} <= {r["action"] for r in exports["rows"]}

    usage = local.http.get("/api/v1/me/stats/usage", headers=headers, params={"days": 14}).json()
    busy_days = [d["date"] for d in usage["daily"] if d["requests"]]
    assert len(busy_days) >= 6 and today in busy_days and min(busy_days) < today
    assert all(d["read_units"] > 0 for d in usage["daily"] if d["requests"])
    assert usage["by_api_key"] and usage["by_api_key"][0]["key_id"] == "demo-viewer-report-key"

    sessions = _all_rows(local, "/api/v1/me/stats/sessions", "sessions", headers)
    token_days = {s["first_seen"][:10] for s in sessions if s["kind"] == "token"}
    key_sessions = [s for s in sessions if s["kind"] == "key"]
    assert len(token_days) >= 4
    assert len({s["first_seen"][:10] for s in key_sessions}) >= 4
    assert len(key_sessions) > len({s["first_seen"][:10] for s in key_sessions})  # one day had two
    assert [s["current"] for s in sessions].count(True) == 1

    queries = _all_rows(local, "/api/v1/me/stats/queries", "rows", headers)
    assert len({r["timestamp"][:10] for r in queries}) >= 6
    assert {r["timestamp"][:10] for r in queries} <= set(busy_days)

    # what the page shows from the printed link, at desktop and phone widths
    for width, height in ((1280, 900), (390, 844)):
        tab.page.set_viewport_size({"width": width, "height": height})
        tab.page.goto(f"{local.cloud.url}/me/stats?tab=usage#token={token}")
        expect(tab.page.locator("#panel-usage")).to_have_attribute("data-state", "ready", timeout=20_000)
        bars = tab.page.locator("#usage-chart svg rect.bar")
        expect(bars).to_have_count(30)
        drawn = bars.evaluate_all("bars => bars.filter(b => Number(b.getAttribute('height')) > 0).length")
        assert drawn == len(busy_days)
        tab.screenshot(f"me-stats-demo-{width}-usage")
        tab.page.click("#tab-sessions")
        expect(tab.page.locator("#panel-sessions")).to_have_attribute("data-state", "ready", timeout=20_000)
        expect(tab.page.locator("#panel-sessions tbody tr")).not_to_have_count(1)
        tab.screenshot(f"me-stats-demo-{width}-sessions")
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
        # every column of a session is on screen (a phone shows each row as a card), none behind a sideways scroll
        right = tab.page.locator("#panel-sessions tbody tr").first.locator("td").evaluate_all(
            "cells => Math.max(...cells.filter(c => c.offsetParent).map(c => c.getBoundingClientRect().right))")
        assert right <= width
    tab.assert_no_console_errors()
