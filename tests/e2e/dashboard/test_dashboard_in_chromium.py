"""The dashboard at `/` in headless Debian chromium, against the local cloud with sealed demo traffic.

Every wait is a condition (Playwright's waiting), never a sleep; the 30-second polls are driven by
Playwright's clock.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tally.ops.kinds import OpsKind
from tally_dev.tokens import issue_token
from tests.browser.chromium import Tab
from tests.e2e.dashboard.conftest import DEMO, Dashboard
from tests.e2e.dashboard.page import cards, console_warnings, open_dashboard, wait_until_ready

METRICS = ("visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration")


def today_at_the_site() -> date:
    return datetime.now(ZoneInfo(DEMO.timezone)).date()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def values_of(overview: dict) -> dict[str, float]:
    return {name: overview["results"][name]["value"] for name in METRICS}


def test_the_token_link_signs_in_and_shows_the_demo_sites_last_30_days(tab: Tab, dashboard: Dashboard):
    requests: list[str] = []
    tab.page.on("request", lambda r: requests.append(r.url))
    with tab.page.expect_response(lambda r: "/stats/overview" in r.url) as overview:
        open_dashboard(tab, dashboard)

    assert urlsplit(tab.page.url).fragment == ""  # the token left the address bar and the history
    assert query_of(tab.page.url) == {"site": dashboard.site_id, "period": "30d"}
    assert tab.page.evaluate("localStorage.getItem('tally.token')") == dashboard.token
    asked = query_of(overview.value.url)
    assert asked == {"period": "30d", "date": today_at_the_site().isoformat(), "compare": "previous_period"}
    expected = dashboard.get(overview.value.url)
    assert cards(tab) == values_of(expected)
    assert expected["results"]["pageviews"]["value"] > 0
    shown = tab.page.text_content(".card[data-metric=pageviews] .card-value")
    assert re.sub(r"\D", "", shown) == str(expected["results"]["pageviews"]["value"])  # grouped as the locale does
    stats = [u for u in requests if "/stats/" in u and "/stats/realtime" not in u]
    assert len(stats) == 7  # overview, time series and a breakdown per panel
    assert all(query_of(u)["date"] == today_at_the_site().isoformat() for u in stats)  # never a timestamp
    pages = dashboard.get(next(u for u in stats if "property=page&" in u))
    first = tab.page.locator("#panel-pages tbody tr").first
    expect(first.locator(".label")).to_have_text(pages["results"][0]["value"])
    expect(first.locator(".col-visitors")).to_have_text(str(pages["results"][0]["visitors"]))
    assert tab.page.locator("#chart svg path.line:not(.partial)").count() == 1
    # today is the current, partial point: the line reaches it dashed and stops there
    series = dashboard.get(next(u for u in stats if "/stats/timeseries" in u))
    assert series["current_point"] == series["results"][-1]["date"] == today_at_the_site().isoformat()
    assert tab.page.locator("#chart svg path.line.partial").count() == 1
    assert dashboard.get("/api/v1/ops/failures?since=24h")["count"] >= 5  # the demo data's failures
    expect(tab.page.locator("#failures-holder")).to_be_hidden()  # an ops alarm is not a viewer's business
    expect(tab.page.locator("#realtime")).to_have_attribute("data-count", "0")  # imported history only
    tab.screenshot("dashboard-desktop")
    tab.assert_no_console_errors()
    assert console_warnings(tab) == []


def test_a_period_switch_shows_exactly_what_the_api_answers_for_the_same_url(tab: Tab, dashboard: Dashboard):
    open_dashboard(tab, dashboard)
    thirty_days = cards(tab)

    with tab.page.expect_response(lambda r: "/stats/overview" in r.url) as week:
        tab.page.select_option("#period-picker", "7d")
    wait_until_ready(tab)
    assert query_of(week.value.url)["period"] == "7d"
    assert cards(tab) == values_of(dashboard.get(week.value.url))

    tab.page.select_option("#period-picker", "day")
    wait_until_ready(tab)
    with tab.page.expect_response(lambda r: "/stats/overview" in r.url) as yesterday:
        tab.page.click("#period-prev")
    wait_until_ready(tab)
    day_before = (today_at_the_site() - timedelta(days=1)).isoformat()
    assert query_of(yesterday.value.url)["date"] == day_before
    shown = cards(tab)
    assert shown == values_of(dashboard.get(yesterday.value.url))
    assert shown["pageviews"] < thirty_days["pageviews"]  # one of the two imported days
    assert query_of(tab.page.url) == {"site": dashboard.site_id, "period": "day", "date": day_before}

    tab.page.reload()  # the view lives in the address: a reload (or a shared link) shows the same days
    wait_until_ready(tab)
    assert cards(tab) == shown
    expect(tab.page.locator("#period-picker")).to_have_value("day")
    tab.assert_no_console_errors()


def test_a_card_selects_the_charted_metric_and_the_chart_explains_a_point(tab: Tab, dashboard: Dashboard):
    open_dashboard(tab, dashboard)

    tab.page.click(".card[data-metric=pageviews]")

    expect(tab.page.locator(".card[data-metric=pageviews]")).to_have_attribute("aria-pressed", "true")
    expect(tab.page.locator(".card[data-metric=visitors]")).to_have_attribute("aria-pressed", "false")
    expect(tab.page.locator("#chart-title")).to_have_text("Total pageviews")
    assert query_of(tab.page.url)["metric"] == "pageviews"
    box = tab.page.locator("#chart .hit").bounding_box()
    tab.page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)  # the last day: today
    expect(tab.page.locator("#chart .tooltip")).to_be_visible()
    expect(tab.page.locator("#chart .tooltip")).to_contain_text("pageviews")
    tab.assert_no_console_errors()


def test_the_failure_badge_is_an_org_admins_neutral_at_0_opens_the_kinds_and_polls_every_30_seconds(
        local, tab: Tab, dashboard: Dashboard):
    org = f"org-{uuid.uuid4().hex[:10]}"
    token = issue_token(org, "org_admin")
    tab.page.clock.install()
    tab.page.goto(dashboard.sign_in_url(token=token))
    badge = tab.page.locator("#failures")
    expect(badge).to_have_attribute("data-count", "0")
    expect(badge).not_to_have_class(re.compile(r"\bbad\b"))  # neutral at 0

    local.record_failures(org, [OpsKind.ingest, OpsKind.job])
    with tab.page.expect_response(lambda r: "/api/v1/ops/failures" in r.url):
        tab.page.clock.run_for(30_000)
    expect(badge).to_have_attribute("data-count", "2")
    api = dashboard.get("/api/v1/ops/failures?since=24h", token=token)
    assert api["count"] == 2
    expect(badge).to_have_text("2 failures · 24h")
    expect(badge).to_have_class(re.compile(r"\bbad\b"))
    badge.click()
    detail = tab.page.locator("#failures-detail")
    expect(detail).to_be_visible()
    for kind, count in api["by_kind"].items():
        expect(detail.locator(f"li[data-kind={kind}]")).to_have_attribute("data-count", str(count))
    expect(detail.locator("li[data-kind=ingest]")).to_have_attribute("data-count", "1")
    expect(tab.page.locator("#empty-state")).to_contain_text("no sites yet")  # a new organisation: leads to /sites

    local.record_failures(org, [OpsKind.email])
    with tab.page.expect_response(lambda r: "/api/v1/ops/failures" in r.url):
        tab.page.clock.run_for(30_000)
    expect(badge).to_have_attribute("data-count", "3")
    expect(detail.locator("li[data-kind=email]")).to_have_attribute("data-count", "1")
    assert dashboard.get("/api/v1/ops/failures?since=24h", token=token)["count"] == 3
    tab.assert_no_console_errors()


def test_at_phone_width_nothing_scrolls_sideways_and_the_cards_wrap(tab: Tab, dashboard: Dashboard):
    tab.page.set_viewport_size({"width": 375, "height": 812})
    open_dashboard(tab, dashboard)

    assert tab.page.evaluate("document.documentElement.scrollWidth") <= 375
    boxes = [tab.page.locator(f".card[data-metric={m}]").bounding_box() for m in METRICS]
    assert boxes[0]["y"] == boxes[1]["y"] < boxes[2]["y"]  # two cards a row
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 375 for b in boxes)
    for table in tab.page.locator("table.rows").all():
        table_box = table.bounding_box()
        assert table_box["x"] >= 0 and table_box["x"] + table_box["width"] <= 375
    tab.screenshot("dashboard-375px")
    tab.assert_no_console_errors()
    assert console_warnings(tab) == []


def test_a_refused_token_returns_to_sign_in_and_a_pasted_token_signs_in(tab: Tab, dashboard: Dashboard):
    tab.page.goto(dashboard.sign_in_url(token="not-a-token"))

    expect(tab.page.locator("#sign-in")).to_be_visible()
    expect(tab.page.locator("#sign-in-message")).to_contain_text("Tally did not accept your token")
    assert tab.page.evaluate("localStorage.getItem('tally.token')") is None
    assert all("401" in e for e in tab.console_errors())  # the refused requests, as chromium logs them

    tab.page.fill("#token-input", f"Bearer {dashboard.token}")
    tab.page.click("#sign-in-form button[type=submit]")
    wait_until_ready(tab)
    assert tab.page.evaluate("localStorage.getItem('tally.token')") == dashboard.token

    tab.page.click("#sign-out")
    expect(tab.page.locator("#sign-in-message")).to_have_text("You are signed out.")
    assert tab.page.evaluate("localStorage.getItem('tally.token')") is None


def test_an_expired_token_is_refused_before_any_request(tab: Tab, dashboard: Dashboard):
    expired = issue_token("demo", "viewer", ttl_s=-60)
    tab.page.goto(dashboard.sign_in_url(token=expired))

    expect(tab.page.locator("#sign-in-message")).to_contain_text("This token expired")
    tab.assert_no_console_errors()


def test_load_more_follows_next_cursor_and_an_api_error_shows_its_message(tab: Tab, dashboard: Dashboard):
    """The API's answers are replaced here (the demo site has fewer rows than a page): the page's own logic."""
    asked: list[dict[str, str]] = []

    def pages(route):
        query = query_of(route.request.url)
        asked.append(query)
        first = "cursor" not in query
        rows = [{"value": f"/p{i}", "visitors": 100 - i, "pageviews": 200 - i} for i in range(10 if first else 3)]
        route.fulfill(json={"site_id": dashboard.site_id, "property": "page", "results": rows,
                            "range": {"from": "2024-01-01", "to": "2024-01-30", "tz": DEMO.timezone},
                            "next_cursor": "page-2" if first else None})

    def refused(route):
        route.fulfill(status=422, json={"error": {"code": "invalid_input", "message": "property: no, not today",
                                                  "details": []}})

    tab.page.route("**/stats/breakdown?*property=page&*", pages)
    tab.page.route("**/stats/breakdown?*property=country&*", refused)
    tab.page.goto(dashboard.sign_in_url())
    expect(tab.page.locator("#dashboard")).to_have_attribute("data-state", "error", timeout=20_000)

    rows = tab.page.locator("#panel-pages tbody tr")
    expect(rows).to_have_count(10)
    tab.page.click("#panel-pages .more")
    expect(rows).to_have_count(13)
    expect(tab.page.locator("#panel-pages .more")).to_be_hidden()
    assert asked[1] == {**asked[0], "cursor": "page-2"}  # the same days and property, the next page
    expect(rows.nth(12).locator(".label")).to_have_text("/p2")
    expect(tab.page.locator("#panel-countries tbody")).to_have_text("Could not load: property: no, not today")
    assert [e for e in tab.console_errors() if "422" not in e] == []


def test_an_incomplete_answer_shows_processing_n_hours_and_the_view_loads_again(tab: Tab, dashboard: Dashboard):
    """The overview is answered incomplete once (as right after a large import): the page says how many
    hours are still being processed, asks again after `retry_after_s`, and drops the notice when complete."""
    answers: list[str] = []

    def overview(route):
        response = route.fetch()
        body = response.json()
        if not answers:
            body.update(complete=False, pending={"hours": 37, "retry_after_s": 1, "spans": [
                {"from": "2024-01-01T00:00:00Z", "to": "2024-01-02T13:00:00Z"}]})
        answers.append("incomplete" if not answers else "complete")
        route.fulfill(response=response, json=body)

    tab.page.route("**/stats/overview?*", overview)
    tab.page.goto(dashboard.sign_in_url())
    notice = tab.page.locator("#processing")
    expect(notice).to_have_text(re.compile(r"^Processing 37 hours of events"), timeout=20_000)
    expect(notice).to_be_hidden(timeout=20_000)  # asked again after 1 s: complete
    wait_until_ready(tab)
    assert answers[:2] == ["incomplete", "complete"]
