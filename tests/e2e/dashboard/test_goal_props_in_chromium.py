"""A click on a goal shows that goal's own properties (Plausible's Properties panel under a goal filter),
in headless chromium against the local cloud with the demo's traffic: the demo's Signup carries two
keys (a selector), Download one, and an imported goal without props shows "No properties".

Every figure shown is what the API answers for the very URL the page asked; screenshots of the panel
at 1280 px and 390 px go to test-artifacts/ (docs/screenshots/ holds copies). Waits are conditions.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Locator, Response, expect

from tests.browser.chromium import ARTIFACTS, Tab
from tests.e2e.dashboard.conftest import Dashboard
from tests.e2e.dashboard.page import open_dashboard

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


WAIT_MS = 30_000  # a loaded shared machine: conditions, with room


def asked(response: Response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.url).query).items()}


def record_breakdowns(tab: Tab) -> list[Response]:
    seen: list[Response] = []
    tab.page.on("response", lambda r: seen.append(r) if "/stats/breakdown" in r.url else None)
    return seen


def last(seen: list[Response], prop: str, goal: str | None = None) -> Response:
    """The newest breakdown answer for `prop` (filtered by `goal`)."""
    return [r for r in seen if asked(r).get("property") == prop
            and asked(r).get("filters") == (f"event:goal=={goal}" if goal else None)][-1]


def settled(panel: Locator) -> None:
    expect(panel).not_to_have_class(re.compile(r"\bis-loading\b"), timeout=WAIT_MS)


def shown_rows(tab: Tab) -> list[tuple[str, ...]]:
    return [tuple(row.locator("td").all_inner_texts()) for row in tab.page.locator("#panel-goals tbody tr").all()]


def expected_rows(answer: dict) -> list[tuple[str, ...]]:
    return [(r["value"], str(r["visitors"]), str(r["events"]), f"{r['conversion_rate']}%") for r in answer["results"]]


def panel_shot(tab: Tab, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.page.locator("#panel-goals").screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_clicking_a_goal_shows_its_properties_with_a_key_selector_and_back(tab: Tab, dashboard: Dashboard):
    tab.page.set_viewport_size(DESKTOP)
    seen = record_breakdowns(tab)
    open_dashboard(tab, dashboard)
    signups = next(r for r in dashboard.get(last(seen, "goal").url)["results"] if r["value"] == "Signup")
    goals = tab.page.locator("#panel-goals")
    signup = goals.locator("button.drill-link", has_text="Signup")
    expect(signup).to_be_visible()

    signup.click()
    expect(goals.locator(".drill-goal")).to_have_text("Signup", timeout=WAIT_MS)
    expect(goals.locator("thead th.value")).to_have_text("billing", timeout=WAIT_MS)
    settled(goals)
    keys = dashboard.get(last(seen, "event:props", "Signup").url)
    assert keys["goal"] == "Signup"
    assert [r["value"] for r in keys["results"]] == ["billing", "plan"]  # every Signup has both: alphabetical
    picker = goals.locator("select.drill-keys")
    expect(picker).to_have_value("billing")
    assert picker.locator("option").all_inner_texts() == ["billing", "plan"]
    billing = dashboard.get(last(seen, "event:props:billing", "Signup").url)
    assert billing["results"] and {r["value"] for r in billing["results"]} <= {"monthly", "yearly"}
    expect(goals.locator("tbody tr")).to_have_count(len(billing["results"]))
    assert shown_rows(tab) == expected_rows(billing)
    assert sum(r["events"] for r in billing["results"]) == signups["events"]  # each Signup carries billing once
    panel_shot(tab, "dashboard-goal-props-desktop")

    picker.select_option("plan")
    expect(goals.locator("thead th.value")).to_have_text("plan", timeout=WAIT_MS)
    settled(goals)
    plan = dashboard.get(last(seen, "event:props:plan", "Signup").url)
    expect(goals.locator("tbody tr")).to_have_count(len(plan["results"]))
    assert shown_rows(tab) == expected_rows(plan)
    assert plan["results"] and {r["value"] for r in plan["results"]} <= {"free", "pro", "team"}

    tab.page.set_viewport_size(PHONE)  # on a phone: the bar wraps, nothing scrolls sideways
    assert tab.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = goals.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    for part in (".back", ".drill-goal", "select.drill-keys", "tbody tr"):
        part_box = goals.locator(part).first.bounding_box()
        assert part_box is not None and part_box["x"] + part_box["width"] <= box["x"] + box["width"] + 0.5, part
    panel_shot(tab, "dashboard-goal-props-phone")
    tab.screenshot("dashboard-goal-props-390")
    tab.page.set_viewport_size(DESKTOP)
    tab.screenshot("dashboard-goal-props-1280")

    # the open goal and its key are in the address: a reload (or a shared link) shows them again
    assert {k: v[0] for k, v in parse_qs(urlsplit(tab.page.url).query).items() if k in ("goal", "prop")} == {
        "goal": "Signup", "prop": "plan"}
    tab.page.reload()
    expect(goals.locator(".drill-goal")).to_have_text("Signup", timeout=WAIT_MS)
    expect(goals.locator("thead th.value")).to_have_text("plan", timeout=WAIT_MS)
    expect(goals.locator("select.drill-keys")).to_have_value("plan")
    settled(goals)
    assert shown_rows(tab) == expected_rows(dashboard.get(last(seen, "event:props:plan", "Signup").url))

    goals.locator("button.back").click()
    expect(goals.locator(".drill")).to_be_hidden(timeout=WAIT_MS)
    expect(goals.locator("thead th.value")).to_have_text("Goal")
    assert "goal" not in parse_qs(urlsplit(tab.page.url).query)
    download = goals.locator("button.drill-link", has_text="Download")
    expect(download).to_be_visible(timeout=WAIT_MS)

    download.click()
    expect(goals.locator(".drill-key")).to_have_text("file", timeout=WAIT_MS)  # one key: named, no selector
    expect(goals.locator("select.drill-keys")).to_have_count(0)
    expect(goals.locator("thead th.value")).to_have_text("file", timeout=WAIT_MS)
    settled(goals)
    assert shown_rows(tab) == expected_rows(dashboard.get(last(seen, "event:props:file", "Download").url))
    tab.assert_no_console_errors()


def test_a_goal_sent_without_props_says_so(tab: Tab, dashboard: Dashboard, local):
    admin = local.demo.token("demo", "org_admin")
    at = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    line = {"id": "goal-props-e2e-newsletter", "timestamp": at.isoformat(), "name": "Newsletter",
            "url": "https://example.com/news", "visitor": "person-newsletter"}
    with httpx.Client(base_url=dashboard.url, timeout=30) as client:
        site = next(s for s in client.get("/api/v1/sites", headers={"Authorization": f"Bearer {admin}"})
                    .json()["sites"] if s["site_id"] == dashboard.site_id)
        line["url"] = f"https://{site['domain']}/news"
        imported = client.post(f"/api/v1/sites/{dashboard.site_id}/events/import", content=json.dumps(line),
                               headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/x-ndjson"})
        assert imported.status_code == 202 and imported.json()["accepted"] == 1, imported.text
    tab.page.set_viewport_size(DESKTOP)
    seen = record_breakdowns(tab)
    open_dashboard(tab, dashboard, "?period=7d")
    goals = tab.page.locator("#panel-goals")
    goals.locator("button.drill-link", has_text="Newsletter").click()
    expect(goals.locator("td.no-props")).to_contain_text("No properties", timeout=WAIT_MS)
    assert dashboard.get(last(seen, "event:props", "Newsletter").url)["results"] == []
    expect(goals.locator(".drill-goal")).to_have_text("Newsletter")
    expect(goals.locator(".drill")).to_have_text(re.compile(r"^← Goals\s*Newsletter\s*$"))  # no key, no selector
    expect(goals.locator("button.more")).to_be_hidden()
    panel_shot(tab, "dashboard-goal-no-props-desktop")
    tab.assert_no_console_errors()
