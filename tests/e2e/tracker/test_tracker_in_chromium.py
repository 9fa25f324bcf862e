"""The tracker in headless Debian chromium: what it sends, when, and when it stays silent.

Playwright sets `navigator.webdriver` and the test site is on loopback, so the pages opt in with
`data-allow-local data-allow-automation` unless a test is about those very checks.
"""

from __future__ import annotations

import json

import pytest

from tally_dev.template import ROOT
from tests.browser.chromium import Tab
from tests.browser.site import SiteServer
from tests.e2e.tracker.pages import open_page, sent, tracker_page

DOMAINS = "example.test,rollup.example.test"
TRACKED = f'data-domain="{DOMAINS}" data-allow-local data-allow-automation'


def test_a_page_load_sends_one_pageview_with_name_url_domain_and_referrer(tab: Tab, site: SiteServer):
    open_page(tab, site, "/blog/hello?utm_source=newsletter", attributes=TRACKED, referer="https://news.example.org/")

    [request] = site.wait_for(lambda c: c.method == "POST")
    assert request.path == "/api/event"  # data-api defaults to the script's origin + /api/event
    assert request.headers["content-type"] == "text/plain"  # fetch sends exactly the type it was given
    assert "cookie" not in request.headers
    assert request.json() == {"n": "pageview", "u": site.url("/blog/hello?utm_source=newsletter"), "d": DOMAINS,
                              "r": "https://news.example.org/"}
    assert len(sent(tab)) == 1
    tab.page.evaluate("""body => document.body.insertAdjacentHTML('beforeend',
        '<h2>Sent to /api/event</h2><pre>' + JSON.stringify(JSON.parse(body), null, 2) + '</pre>')""", request.text())
    tab.screenshot("tracker-test-page")
    tab.assert_no_console_errors()


def test_data_api_sends_events_to_another_origin(tab: Tab, site: SiteServer):
    with SiteServer() as api:
        open_page(tab, site, "/", attributes=f'{TRACKED} data-api="{api.url("/api/event")}"')

        [event] = api.wait_for_events(n="pageview")
        [request] = api.captured("/api/event")

    assert event["u"] == site.url("/")
    assert event["r"] is None
    assert request.headers["origin"] == site.origin()  # a simple CORS request: no preflight for text/plain
    assert [c.method for c in api.captured()] == ["POST"]
    assert site.captured() == []
    tab.assert_no_console_errors()


def test_push_state_navigation_sends_a_second_pageview_and_popstate_a_third(tab: Tab, site: SiteServer):
    open_page(tab, site, "/app", attributes=TRACKED)
    site.wait_for_events(n="pageview", u=site.url("/app"))

    tab.page.evaluate("history.replaceState({}, '', '/app?tab=2')")  # same path: not a new page
    tab.page.evaluate("history.pushState({}, '', '/app/settings')")
    site.wait_for_events(n="pageview", u=site.url("/app/settings"))
    tab.page.go_back()  # popstate, back to /app?tab=2
    site.wait_for_events(n="pageview", u=site.url("/app?tab=2"))
    tab.page.evaluate("history.replaceState({}, '', '/login')")  # a different path: a new page

    [last] = site.wait_for_events(n="pageview", u=site.url("/login"))
    assert [e["u"] for e in sent(tab)] == [site.url(p) for p in ("/app", "/app/settings", "/app?tab=2", "/login")]
    assert last == {"n": "pageview", "u": site.url("/login"), "d": DOMAINS, "r": None}
    tab.assert_no_console_errors()


def test_hash_mode_counts_fragment_changes_as_pages_and_marks_events(tab: Tab, site: SiteServer):
    open_page(tab, site, "/spa#/home", attributes=f"{TRACKED} data-hash")
    [first] = site.wait_for_events(n="pageview")

    tab.page.evaluate("location.hash = '#/settings'")

    [second] = site.wait_for_events(n="pageview", u=site.url("/spa#/settings"))
    assert first == {"n": "pageview", "u": site.url("/spa#/home"), "d": DOMAINS, "r": None, "h": 1}
    assert second["h"] == 1
    assert len(sent(tab)) == 2  # hashchange and popstate both fired: one pageview
    tab.assert_no_console_errors()


def test_without_hash_mode_a_fragment_change_is_the_same_page(tab: Tab, site: SiteServer):
    open_page(tab, site, "/spa", attributes=TRACKED)
    site.wait_for_events(n="pageview")

    tab.page.evaluate("location.hash = '#/settings'")
    tab.page.evaluate("tally('Probe')")
    site.wait_for_events(n="Probe")

    assert [e["n"] for e in sent(tab)] == ["pageview", "Probe"]


def test_custom_events_carry_props_revenue_and_interactive_and_calls_made_before_load_are_queued(
        tab: Tab, site: SiteServer):
    queue = """<script>
      window.tally = window.tally || function () { (tally.q = tally.q || []).push(arguments) };
      tally('Early Bird', {props: {source: 'queue'}});
    </script>"""
    open_page(tab, site, "/pricing", attributes=TRACKED, head=queue)
    site.wait_for_events(n="Early Bird")

    status = tab.page.evaluate("""() => new Promise(resolve => tally('Purchase', {
        props: {plan: 'pro', seats: 3}, revenue: {amount: 15.99, currency: 'EUR'}, interactive: false,
        callback: result => resolve(result.status)}))""")
    tab.page.click("#signup")

    [purchase] = site.wait_for_events(n="Purchase")
    [signup] = site.wait_for_events(n="Signup")
    assert status == 202
    assert purchase == {"n": "Purchase", "u": site.url("/pricing"), "d": DOMAINS, "r": None,
                        "p": {"plan": "pro", "seats": 3}, "$": {"amount": 15.99, "currency": "EUR"}, "i": False}
    assert signup["p"] == {"plan": "pro"}
    assert [e["n"] for e in sent(tab)] == ["pageview", "Early Bird", "Purchase", "Signup"]
    assert sent(tab)[1]["p"] == {"source": "queue"}
    tab.assert_no_console_errors()


def test_an_outbound_link_click_is_sent_and_survives_the_navigation(tab: Tab, site: SiteServer):
    open_page(tab, site, "/", attributes=TRACKED)
    site.wait_for_events(n="pageview")
    href = tab.page.get_attribute("#outbound", "href")

    tab.page.click("#outbound")

    [event] = site.wait_for_events(n="Outbound Link: Click")
    tab.page.wait_for_url("**/elsewhere")
    assert event == {"n": "Outbound Link: Click", "u": site.url("/"), "d": DOMAINS, "r": None, "p": {"url": href}}
    tab.assert_no_console_errors()


def test_a_middle_click_on_an_outbound_link_is_sent_too(tab: Tab, site: SiteServer):
    open_page(tab, site, "/", attributes=TRACKED)
    site.wait_for_events(n="pageview")

    tab.page.click("#outbound", button="middle")

    [event] = site.wait_for_events(n="Outbound Link: Click")
    assert event["p"] == {"url": tab.page.get_attribute("#outbound", "href")}


def test_a_file_download_is_sent_with_its_url_without_the_query(tab: Tab, site: SiteServer):
    open_page(tab, site, "/", attributes=TRACKED)
    site.wait_for_events(n="pageview")

    with tab.page.expect_download() as download:
        tab.page.click("#download")

    [event] = site.wait_for_events(n="File Download")
    assert download.value.suggested_filename == "report.pdf"
    assert event == {"n": "File Download", "u": site.url("/"), "d": DOMAINS, "r": None,
                     "p": {"url": site.url("/files/report.pdf")}}
    tab.assert_no_console_errors()


def test_internal_and_mailto_links_are_not_events(tab: Tab, site: SiteServer):
    open_page(tab, site, "/", attributes=TRACKED)
    site.wait_for_events(n="pageview")
    tab.page.evaluate("document.addEventListener('click', e => e.preventDefault())")  # stay on the page

    tab.page.click("#mail")
    tab.page.click("#internal")

    assert [e["n"] for e in sent(tab)] == ["pageview"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_nothing_is_sent_from_a_local_host_without_data_allow_local(tab: Tab, site: SiteServer, host: str):
    with tab.page.expect_console_message(lambda m: m.text == "Ignoring Event: localhost"):
        open_page(tab, site, "/", host=host, attributes='data-domain="example.test" data-allow-automation')
    with tab.page.expect_console_message(lambda m: m.text == "Ignoring Event: localhost"):
        tab.page.evaluate("tally('Signup')")

    assert sent(tab) == []
    assert site.captured("/api/event") == []


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_data_allow_local_tracks_a_local_host(tab: Tab, site: SiteServer, host: str):
    open_page(tab, site, "/", host=host, attributes='data-domain="example.test" data-allow-local data-allow-automation')

    [event] = site.wait_for_events(n="pageview")
    assert event["u"] == site.url("/", host=host)


AUTOMATION = {
    "webdriver": "",  # Playwright's chromium reports navigator.webdriver itself
    "phantomjs": "window._phantom = {};",
    "nightmare": "window.__nightmare = {};",
    "cypress": "window.Cypress = {};",
}
NOT_WEBDRIVER = "Object.defineProperty(Navigator.prototype, 'webdriver', {get: () => false});"


@pytest.mark.parametrize("marker", sorted(AUTOMATION))
def test_nothing_is_sent_from_an_automated_browser_without_data_allow_automation(
        tab: Tab, site: SiteServer, marker: str):
    if marker != "webdriver":
        tab.page.add_init_script(NOT_WEBDRIVER + AUTOMATION[marker])

    with tab.page.expect_console_message(lambda m: m.text == "Ignoring Event: automated browser"):
        open_page(tab, site, "/", attributes='data-domain="example.test" data-allow-local')

    assert tab.page.evaluate("navigator.webdriver") is (marker == "webdriver")
    assert sent(tab) == []
    assert site.captured("/api/event") == []


def test_a_real_browser_on_a_public_host_is_tracked_without_any_opt_in(tab: Tab, site: SiteServer):
    public = "http://www.example.test"  # Playwright routes it to the test site; the page never knows
    tab.page.context.route(f"{public}/**", lambda route: route.continue_(
        url=route.request.url.replace(public, site.origin())))
    tab.page.add_init_script(NOT_WEBDRIVER)
    # Events go straight to the test site: a routed request would wait for Playwright's sync dispatcher.
    site.add("/", tracker_page(site, attributes=f'data-domain="example.test" data-api="{site.url("/api/event")}"'))

    tab.page.goto(f"{public}/")

    [request] = site.wait_for(lambda c: c.method == "POST")
    assert request.json() == {"n": "pageview", "u": f"{public}/", "d": "example.test", "r": None}
    assert request.headers["origin"] == public
    tab.assert_no_console_errors()


def test_local_storage_tally_ignore_excludes_this_browser(tab: Tab, site: SiteServer):
    tab.page.add_init_script("localStorage.setItem('tally_ignore', 'true')")

    with tab.page.expect_console_message(lambda m: m.text == "Ignoring Event: localStorage flag"):
        open_page(tab, site, "/", attributes=TRACKED)

    assert sent(tab) == []


def test_no_cookie_and_no_storage_is_written(tab: Tab, site: SiteServer):
    open_page(tab, site, "/", attributes=TRACKED)
    site.wait_for_events(n="pageview")
    tab.page.evaluate("tally('Signup', {props: {plan: 'pro'}}); history.pushState({}, '', '/next')")
    site.wait_for_events(n="pageview", u=site.url("/next"))

    stored = tab.page.evaluate("""async () => ({
        cookie: document.cookie, local: localStorage.length, session: sessionStorage.length,
        databases: (await indexedDB.databases()).length, caches: (await caches.keys()).length})""")

    assert stored == {"cookie": "", "local": 0, "session": 0, "databases": 0, "caches": 0}
    assert tab.page.context.cookies() == []
    assert all("cookie" not in c.headers for c in site.captured())
    tab.assert_no_console_errors()


def test_without_fetch_the_tracker_falls_back_to_send_beacon(tab: Tab, site: SiteServer):
    tab.page.add_init_script("delete window.fetch;")

    open_page(tab, site, "/beacon", attributes=TRACKED)

    [request] = site.wait_for(lambda c: c.method == "POST")
    assert request.headers["content-type"] == "text/plain;charset=UTF-8"
    assert request.json() == {"n": "pageview", "u": site.url("/beacon"), "d": DOMAINS, "r": None}
    assert tab.page.evaluate("typeof window.fetch") == "undefined"
    tab.assert_no_console_errors()


def test_a_second_copy_of_the_script_does_not_double_count(tab: Tab, site: SiteServer):
    twice = f'<script defer data-domain="example.test" {TRACKED} src="/js/script.js"></script>'
    open_page(tab, site, "/", attributes=TRACKED, head=twice)
    site.wait_for_events(n="pageview")

    tab.page.evaluate("history.pushState({}, '', '/next')")
    site.wait_for_events(n="pageview", u=site.url("/next"))

    assert [e["n"] for e in sent(tab)] == ["pageview", "pageview"]


def test_every_key_the_tracker_sends_is_one_the_official_plausible_tracker_sends_too(tab: Tab, site: SiteServer):
    """POST /api/event accepts what Plausible's tracker sends (tests/fixtures): so it accepts Tally's too."""
    recorded = json.loads((ROOT / "tests" / "fixtures" / "plausible_tracker_requests.json").read_text())
    plausible_keys = {key for step in recorded["steps"] for r in step["requests"] for key in r["json"]}
    open_page(tab, site, "/spa#/home", attributes=f"{TRACKED} data-hash")
    tab.page.evaluate("tally('Purchase', {props: {plan: 'pro'}, revenue: {amount: 5, currency: 'EUR'}, "
                      "interactive: false})")

    [purchase] = site.wait_for_events(n="Purchase")
    assert set(purchase) == {"n", "u", "d", "r", "p", "$", "i", "h"}
    assert set(purchase) <= plausible_keys
