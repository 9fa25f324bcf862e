"""Bots, crawlers, HTTP tools and automated browsers are dropped; people's browsers are not."""

from __future__ import annotations

import pytest

from tally.web.enrich.bots import dropped_by, is_bot
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


@pytest.mark.parametrize("user_agent", [
    # real UAs no list names (from crawler-user-agents' and Matomo's instances)
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.0.0 "
    "Safari/537.36 nyt_scraping/scraping@nytimes.com",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.97 "
    "Safari/537.36 +https://www.mirrorweb.com",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.6998.35 Safari/537.36 "
    "(Checkly, https://www.checklyhq.com)",
    "Mozilla/6.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 "
    "Safari/537.36 Inspici (www.inspici.com)",
    "Google Chrome Mozilla/5.0 (Windows NT 10.0; Win64; x64; CONTACT; scan@aegis.network) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/58.0.3029.110 Safari/537.36",
])
def test_a_user_agent_signed_with_a_url_or_an_email_address_is_a_bot(user_agent):
    assert dropped_by(user_agent, skip="crawler_user_agents") == "contact"
    assert is_bot(user_agent) is True


def test_a_version_after_an_at_sign_is_no_email_address():
    ecosia = ("Mozilla/5.0 (Linux; Android 11; FP4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.41 "
              "Mobile Safari/537.36 (Ecosia android@101.0.4951.41)")
    assert is_bot(ecosia) is False


def test_each_drop_is_explained_by_the_rule_or_list_that_made_it():
    assert dropped_by(ua.CHROME_WINDOWS) is None
    assert dropped_by(f"{ua.CHROME_WINDOWS} Puppeteer") == "automation"
    assert dropped_by("SendGrid Event API") == "no_browser"
    assert dropped_by(ua.GOOGLEBOT) == "no_browser"
    assert dropped_by(ua.GPTBOT) == "contact"
    bingbot_unsigned = ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0) "
                        "Chrome/116.0.1938.76 Safari/537.36")
    assert dropped_by(bingbot_unsigned) == "crawlerdetect"
    assert dropped_by(bingbot_unsigned, skip="crawlerdetect") == "crawler_user_agents"
