"""The site owner's path in headless chromium against the local cloud, in one walk: an org admin adds a
site, copies its snippet into a page served on another origin, loads it, sees the check turn green and
the pageview on the dashboard, and a goal's conversion rate equal to a count of what the pages sent;
creates an API key, uses it, revokes it and sees it refused.

Screenshots of every new page at 1280 px and 390 px go to test-artifacts/ (the README's are copies of
them, under docs/screenshots/). Waits are conditions, never sleeps; the authorizer's key cache, which
a revoked key may outlive by design, is let pass by moving the local cloud's clock (`cloud.clock`).
"""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import expect

from tally_dev.template import load_template
from tally_dev.tokens import issue_token
from tests.browser.chromium import Tab
from tests.browser.site import SiteServer
from tests.e2e.dashboard.page import cards, wait_until_ready

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


def shoot(tab: Tab, name: str) -> None:
    """The page at desktop and phone widths, and nothing scrolling sideways on the phone."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        tab.page.set_viewport_size(size)
        tab.screenshot(f"{name}-{label}")
    assert tab.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    tab.page.set_viewport_size(DESKTOP)


def cache_lifetime_s() -> int:
    variables = load_template()["Resources"]["AuthorizerFunction"]["Properties"]["Environment"]["Variables"]
    return int(variables["API_KEY_CACHE_S"])


def test_an_org_admin_adds_a_site_sees_the_first_pageview_arrive_and_manages_api_keys(local, tab: Tab):
    cloud = local.cloud.url
    org = f"org-{uuid.uuid4().hex[:10]}"
    admin = issue_token(org, "org_admin")
    domain = f"walk-{uuid.uuid4().hex[:8]}.example"
    tab.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=cloud)
    tab.page.set_viewport_size(DESKTOP)

    # the empty dashboard leads to the sites page
    tab.page.goto(f"{cloud}/#token={admin}")
    expect(tab.page.locator("#empty-state")).to_be_visible()
    tab.page.click("#empty-state a")
    expect(tab.page).to_have_url(f"{cloud}/sites")
    expect(tab.page.locator("#site-timezone")).to_have_value("UTC")  # the browser's zone (chromium runs in UTC)
    shoot(tab, "sites")

    # add a site: its page shows the snippet, waiting for the first pageview
    tab.page.fill("#site-domain", domain)
    tab.page.click("#add-site button[type=submit]")
    expect(tab.page.locator("#domain")).to_have_text(domain)
    expect(tab.page.locator("#check")).to_have_attribute("data-state", "waiting")
    shoot(tab, "site-waiting")
    tab.page.click("#copy-snippet")
    expect(tab.page.locator("#copy-snippet")).to_have_text("Copied")
    snippet = tab.page.evaluate("navigator.clipboard.readText()")
    assert snippet == f'<script defer data-domain="{domain}" src="{cloud}/js/script.js"></script>'

    # paste it into a page on another origin (a loopback page: the two attributes the page explains)
    pasted = snippet.replace("<script defer", "<script defer data-allow-local data-allow-automation")
    with SiteServer(capture_paths=()) as website:
        event_snippet = tab.page.locator("#event-snippet").text_content().splitlines()[0]  # the queue stub
        website.add("/pricing", f"<!doctype html><html><head><title>Pricing</title><link rel=icon href='data:,'>"
                                f"{pasted}{event_snippet}</head><body><h1>Pricing</h1></body></html>")
        website.add("/js/signup.js", "tally('Signup', {props: {plan: 'pro'}});", "application/javascript")
        website.add("/signup", f"<!doctype html><html><head><title>Signup</title><link rel=icon href='data:,'>"
                               f"{pasted}{event_snippet}<script src='/js/signup.js'></script></head>"
                               f"<body><h1>Welcome</h1></body></html>")
        visitor = tab.page.context.new_page()
        visitor.set_extra_http_headers({"User-Agent": BROWSER})  # headless chromium's own UA is a bot's
        with visitor.expect_response(lambda r: r.url == f"{cloud}/api/event") as sent:
            visitor.goto(website.url("/pricing"))
        assert sent.value.status == 202
        assert sent.value.headers.get("x-tally-dropped") is None
        second = tab.page.context.new_page()  # a second visitor (another UA: another visitor id) converts
        second.set_extra_http_headers({"User-Agent": BROWSER.replace("131.0.0.0", "130.0.0.0")})
        signup = f"{cloud}/api/event"
        with second.expect_response(lambda r: r.url == signup and "Signup" in (r.request.post_data or "")), \
                second.expect_response(lambda r: r.url == signup and "pageview" in (r.request.post_data or "")):
            second.goto(website.url("/signup"))
        second.close()
        visitor.close()

    # the check turns green, and the dashboard counts the pageview
    expect(tab.page.locator("#check")).to_have_attribute("data-state", "seen", timeout=20_000)
    expect(tab.page.locator("#check-text")).to_contain_text("/pricing")
    shoot(tab, "site-seen")
    tab.page.click("#check-hint a")
    wait_until_ready(tab)
    assert cards(tab)["pageviews"] == 2
    assert cards(tab)["visitors"] == 2
    expect(tab.page.locator("#panel-pages tbody tr .label", has_text="/pricing")).to_have_count(1)
    # the goal: 1 of the day's 2 visitors converted (a brute-force count of what the two pages sent)
    goal = tab.page.locator("#panel-goals tbody tr").first
    expect(goal.locator(".label")).to_have_text("Signup")
    expect(goal.locator(".col-conversion_rate")).to_have_text(f"{round(1 / 2 * 100, 2):g}%")
    shoot(tab, "dashboard-today")

    # an API key: created (shown once), used, revoked, refused
    tab.page.goto(f"{cloud}/settings")
    tab.page.fill("#key-name", "walk")
    tab.page.click("#create-key button[type=submit]")
    expect(tab.page.locator("#new-key-value")).to_have_text(re.compile(r"^tly_"))
    key = tab.page.locator("#new-key-value").text_content()
    assert key and key.startswith("tly_")
    expect(tab.page.locator("#key-rows tr")).to_have_count(1)
    shoot(tab, "settings-keys")
    with httpx.Client(base_url=cloud, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        [site] = client.get("/api/v1/sites").raise_for_status().json()["sites"]
        assert site["domain"] == domain
        tab.page.once("dialog", lambda dialog: dialog.accept())
        tab.page.click("#key-rows button.danger")
        expect(tab.page.locator("#no-keys")).to_be_visible()
        # Within the cache lifetime the key may still be served, by design: the authorizer container
        # that looked it up a moment ago answers from its cache; another one reads the revocation.
        within = client.get("/api/v1/sites")
        assert within.status_code in (200, 401)
        if within.status_code == 401:
            assert within.json()["error"]["message"] == "API key revoked"
        # Past the stated lifetime every container looks the key up again and refuses it at once.
        local.cloud.clock.advance(cache_lifetime_s() + 1)
        refused = client.get("/api/v1/sites")
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "API key revoked"

    # a viewer of the organisation sees the site read-only: no add form, no saving, no deleting
    site_page = f"{cloud}/sites/{site['site_id']}"
    tab.page.goto(f"{cloud}/sites#token={issue_token(org, 'viewer')}")
    expect(tab.page.locator("#site-list li")).to_have_count(1)
    expect(tab.page.locator("#add-panel")).to_be_hidden()
    tab.page.goto(site_page)
    expect(tab.page.locator("#domain")).to_have_text(domain)
    expect(tab.page.locator("#timezone")).to_be_disabled()
    expect(tab.page.locator("#read-only")).to_be_visible()
    expect(tab.page.locator("#delete-panel")).to_be_hidden()
    expect(tab.page.locator("#settings-form button[type=submit]")).to_be_hidden()

    tab.assert_no_console_errors()

    # the admin deletes it: the domain typed to confirm, then the page follows the deletion job
    tab.page.goto(f"{site_page}?signed-in=admin#token={admin}")  # a new URL: a load, not a hash change
    expect(tab.page.locator("#domain")).to_have_text(domain)
    expect(tab.page.locator("#delete-button")).to_be_disabled()
    tab.page.fill("#delete-confirm", domain)
    tab.page.click("#delete-button")
    expect(tab.page.locator("#deletion")).to_contain_text("Deleting")  # followed until the job removes it
    status = local.http.get(f"/api/v1/sites/{site['site_id']}", headers={"Authorization": f"Bearer {admin}"})
    assert status.json()["status"] == "deleting"  # the job removes it after its grace period: not waited for here
    tab.assert_no_console_errors()

