"""The dashboard's Export button and the `/me/stats` page in headless chromium, against the local cloud.

A fresh user of the demo org per test, so each sees only its own rows: its requests are recorded by
the local cloud (access log → recorder, audit rows from the handlers), its export is built by the
export job from the ExportQueue. Every wait is a condition, never a sleep; the authorizer's revocation
cache is let pass by moving the local cloud's clock (`cloud.clock`).
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile

import httpx
from playwright.sync_api import expect

from tally_dev.template import load_template
from tally_dev.tokens import issue_token
from tests.browser.chromium import Tab
from tests.e2e.dashboard.conftest import Dashboard
from tests.e2e.dashboard.page import open_dashboard


def fresh_user(prefix: str) -> tuple[str, str, str]:
    """A new viewer of the demo org with two token sessions: (user id, token of session a, of session b)."""
    user = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return (user, issue_token("demo", "viewer", user=user, session_id=f"a-{user}"),
            issue_token("demo", "viewer", user=user, session_id=f"b-{user}"))


def revocation_cache_s() -> int:
    variables = load_template()["Resources"]["AuthorizerFunction"]["Properties"]["Environment"]["Variables"]
    return int(variables["REVOCATION_CACHE_S"])


def wait_tab(tab: Tab, name: str) -> None:
    expect(tab.page.locator(f"#panel-{name}")).to_have_attribute("data-state", "ready", timeout=20_000)


def test_export_then_every_tab_of_my_usage_shows_my_own_rows(local, tab: Tab, dashboard: Dashboard):
    _, token, other = fresh_user("me")
    assert dashboard.api.get("/api/v1/sites", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    open_dashboard(tab, dashboard, token=token)

    # the Export button: progress, then a link to the ZIP, whose daily rows are the stats API's
    tab.page.click("#export-button")
    link = tab.page.locator("#export-download")
    expect(link).to_be_visible(timeout=30_000)
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(link.get_attribute("href") or "").content))
    [visitors_file] = [n for n in archive.namelist() if n.startswith("imported_visitors_")]
    rows = list(csv.DictReader(io.StringIO(archive.read(visitors_file).decode())))
    assert rows, "the demo site has traffic in the last 30 days"
    day = rows[0]["date"]
    overview = dashboard.get(f"/api/v1/sites/{dashboard.site_id}/stats/overview?period=day&date={day}", token=token)
    assert int(rows[0]["visitors"]) == overview["results"]["visitors"]["value"]
    assert int(rows[0]["pageviews"]) == overview["results"]["pageviews"]["value"]

    local.cloud.delivery.settle()  # the access log reaches the usage recorder
    asked: list[str] = []
    tab.page.on("request", lambda r: asked.append(r.url) if "/api/v1/me/stats/" in r.url else None)
    tab.page.click("#usage-link")
    expect(tab.page).to_have_url(f"{dashboard.url}/me/stats?tab=sessions")
    wait_tab(tab, "sessions")
    sessions = tab.page.locator("#panel-sessions tbody tr")
    expect(sessions).to_have_count(2)
    current = tab.page.locator("#panel-sessions tr", has_text="This session")
    expect(current).to_have_count(1)
    expect(current.locator("button.revoke")).to_have_count(0)
    revoke = tab.page.locator("#panel-sessions button.revoke")
    expect(revoke).to_have_count(1)
    revoke.click()
    expect(tab.page.locator("#panel-sessions .revoked")).to_have_text("Revoked")
    local.cloud.clock.advance(revocation_cache_s() + 1)  # past the stated bound, the revoked session is refused
    refused = dashboard.api.get("/api/v1/sites", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "session revoked: sign in again"

    tab.page.click("#tab-usage")
    wait_tab(tab, "usage")
    expect(tab.page.locator("#usage-chart svg rect.bar")).to_have_count(30)
    expect(tab.page.locator("#panel-usage td code", has_text="GET /api/v1/sites")).not_to_have_count(0)
    tab.screenshot("me-stats-1280-usage")

    tab.page.click("#tab-queries")
    wait_tab(tab, "queries")
    expect(tab.page.locator("#panel-queries td code", has_text="stats.overview")).not_to_have_count(0)

    tab.page.click("#tab-exports")
    wait_tab(tab, "exports")
    expect(tab.page.locator("#last-export")).to_contain_text("demo.tally.test")
    expect(tab.page.locator("#panel-exports tbody tr")).to_have_count(2)  # requested, downloaded
    expect(tab.page.locator("#panel-exports tbody")).to_contain_text("Export requested")
    tab.screenshot("me-stats-1280-exports")

    loads = len(asked)
    tab.page.click("#tab-usage")  # kept: switching back asks nothing again
    tab.page.click("#tab-sessions")
    expect(tab.page.locator("#panel-usage")).to_be_hidden()
    assert len(asked) == loads
    assert {u.split("?")[0].rsplit("/", 1)[1] for u in asked} == {"sessions", "usage", "queries", "exports"}
    tab.assert_no_console_errors()


def test_on_a_phone_the_tabs_load_more_by_cursor_without_sideways_scrolling(local, tab: Tab, dashboard: Dashboard):
    _, token, _ = fresh_user("phone")
    headers = {"Authorization": f"Bearer {token}"}
    for period in ("day", "7d", "30d", "month"):
        assert dashboard.api.get(f"/api/v1/sites/{dashboard.site_id}/stats/overview?period={period}",
                                 headers=headers).status_code == 200
    local.cloud.delivery.settle()
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.page.goto(f"{dashboard.url}/me/stats?tab=queries&limit=3#token={token}")
    wait_tab(tab, "queries")
    rows = tab.page.locator("#panel-queries tbody tr")
    expect(rows).to_have_count(3)
    tab.page.locator("#panel-queries .more").click()
    expect(rows).to_have_count(4)
    expect(tab.page.locator("#panel-queries .more")).to_be_hidden()
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390
    tab.screenshot("me-stats-390-queries")

    tab.page.click("#tab-usage")
    wait_tab(tab, "usage")
    expect(tab.page.locator("#usage-chart svg rect.bar")).to_have_count(30)
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390
    tab.screenshot("me-stats-390-usage")
    tab.assert_no_console_errors()
