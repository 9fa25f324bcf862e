"""Is this request a bot? Crawlers, HTTP libraries, scripts, headless and automated browsers.

A User-Agent is dropped when any of these says so (cheapest first):
- it is empty, or the client hints announce headless Chrome;
- it carries a marker of browser automation (headless Chrome, PhantomJS, Puppeteer, Playwright,
  Selenium, WebPageTest, …) that a crawler list may not name;
- one of the maintained bot lists names it: crawlerdetect, crawler-user-agents or Matomo
  device-detector's bots (`bot_lists`);
- it names no browser engine, no browser and no platform at all (`no_browser`): `node`,
  `SendGrid Event API`, a `${jndi:…}` probe — the bots no list has heard of yet;
- it signs with a contact, a URL or an e-mail address (`+https://example.com/bot.html`,
  `mailto:…`, `crawler@example.org`): crawlers sign their UAs so that site owners can reach them,
  browsers never do.
The tracker itself skips `navigator.webdriver`; this is the server's backstop for events sent by
other means. Results are cached per User-Agent: the same UA repeats.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache, lru_cache

from tally.web.enrich.bot_lists import (
    crawler_user_agents_match,
    crawlerdetect_match,
    matomo_match,
    without_device_names,
)
from tally.web.enrich.bot_patterns import PatternList
from tally.web.enrich.no_browser import names_no_browser

MAX_CHECKED_UA = 1024
CACHE_SIZE = 8192

_AUTOMATION = (
    r"HeadlessChrome|Headless|PhantomJS|SlimerJS|Lighthouse|Puppeteer|Playwright|Selenium|WebDriver|"
    r"Cypress/|Nightmare|jsdom|Zombie\.js|PTST/|Google Page Speed|Prerender"
)


def automation_match(user_agent: str) -> str | None:
    return _automation().search(user_agent)


@cache
def _automation() -> PatternList:
    return PatternList([_AUTOMATION], flags=re.IGNORECASE)


_CONTACT_URL = r"https?://|\bwww\.[a-z0-9-]+\.[a-z]|\bmailto:"
_EMAIL = re.compile(r"[\w.+-]@[a-z0-9-]+\.[a-z]{2,}", re.IGNORECASE)  # not `Ecosia android@101.0.4951.41`


def signs_with_contact(user_agent: str) -> bool:
    return _contact().search(user_agent) is not None or ("@" in user_agent and _EMAIL.search(user_agent) is not None)


@cache
def _contact() -> PatternList:
    return PatternList([_CONTACT_URL], flags=re.IGNORECASE)


_RULES: dict[str, Callable[[str], object]] = {
    "automation": automation_match,
    "no_browser": names_no_browser,
    "contact": signs_with_contact,
}
_LISTS: dict[str, Callable[[str], object]] = {
    "crawlerdetect": crawlerdetect_match,
    "crawler_user_agents": crawler_user_agents_match,
    "matomo": matomo_match,
}


def dropped_by(user_agent: str, *, skip: str | None = None) -> str | None:
    """The first rule or list that drops this UA (`skip` one to measure the others), or None."""
    for name, rule in _RULES.items():
        if name != skip and rule(user_agent):
            return name
    listed = without_device_names(user_agent)
    return next((name for name, match in _LISTS.items() if name != skip and match(listed)), None)


@lru_cache(maxsize=CACHE_SIZE)
def _is_bot_user_agent(ua: str) -> bool:
    return dropped_by(ua) is not None


def is_bot(user_agent: str | None, headers: Mapping[str, str] | None = None) -> bool:
    """True for traffic Tally drops: bots, crawlers, tools and automated browsers.

    `headers` are the request's headers with lower-case names (API Gateway v2 gives them so).
    """
    ua = (user_agent or "").strip()[:MAX_CHECKED_UA]
    if not ua:
        return True
    if headers and "headless" in headers.get("sec-ch-ua", "").lower():
        return True
    return _is_bot_user_agent(ua)
