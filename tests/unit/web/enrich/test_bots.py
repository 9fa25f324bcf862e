"""Bots, crawlers, HTTP tools and automated browsers are dropped; people's browsers are not."""

from __future__ import annotations

import pytest

from tally.web.enrich.bots import is_bot
from tests.unit.web.enrich import ua_samples as ua


@pytest.mark.parametrize("user_agent", ua.HUMANS)
def test_real_browsers_are_not_bots(user_agent):
    assert is_bot(user_agent, {}) is False


@pytest.mark.parametrize("user_agent", ua.BOTS)
def test_crawlers_tools_and_headless_browsers_are_bots(user_agent):
    assert is_bot(user_agent, {}) is True


@pytest.mark.parametrize("user_agent", [None, "", "   "])
def test_a_missing_or_empty_user_agent_is_a_bot(user_agent):
    assert is_bot(user_agent) is True


@pytest.mark.parametrize("marker", ["Puppeteer", "Playwright/1.49", "Selenium", "Cypress/13.6.0", "SlimerJS/1.0",
                                    "PTST/230919.140000"])
def test_browser_automation_markers_are_bots_even_when_the_crawler_list_misses_them(marker):
    assert is_bot(f"{ua.CHROME_WINDOWS} {marker}") is True


def test_headless_chrome_announced_only_in_client_hints_is_a_bot():
    headers = {"sec-ch-ua": '"HeadlessChrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'}

    assert is_bot(ua.CHROME_WINDOWS, headers) is True
    assert is_bot(ua.CHROME_WINDOWS, {"sec-ch-ua": '"Google Chrome";v="131", "Chromium";v="131"'}) is False


def test_a_very_long_user_agent_is_checked_by_its_beginning():
    assert is_bot(ua.GOOGLEBOT + " x" * 5000) is True
    assert is_bot(ua.CHROME_WINDOWS + " x" * 5000) is False
