"""Driving the dashboard page in a tab: sign in, wait for the view, read what the cards hold."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.browser.chromium import Tab

if TYPE_CHECKING:
    from tests.e2e.dashboard.conftest import Dashboard


def open_dashboard(tab: Tab, dashboard: Dashboard, query: str = "", token: str | None = None) -> None:
    """Sign in through the `#token=` link and wait until every part of the view has loaded."""
    tab.page.goto(dashboard.sign_in_url(query, token))
    wait_until_ready(tab)


def wait_until_ready(tab: Tab) -> None:
    """Every request of the view answered and drawn (the page's CSP forbids wait_for_function's eval)."""
    expect(tab.page.locator("#dashboard")).to_have_attribute("data-state", "ready", timeout=20_000)


def cards(tab: Tab) -> dict[str, float]:
    """The number each metric card holds (`data-value`: the API's value, before formatting)."""
    return tab.page.eval_on_selector_all(
        ".card", "cards => Object.fromEntries(cards.map(c => [c.dataset.metric, Number(c.dataset.value)]))")


def console_warnings(tab: Tab) -> list[str]:
    tab.console_errors()  # a round trip: deliver pending console events
    return [m.text for m in tab.console if m.type == "warning"]
