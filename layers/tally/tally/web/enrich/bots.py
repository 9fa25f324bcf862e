"""Is this request a bot? Crawlers, HTTP libraries, scripts, headless and automated browsers.

A User-Agent is dropped when any of these says so (cheapest first):
- it is empty, or the client hints announce headless Chrome;
- it carries a marker of browser automation (headless Chrome, PhantomJS, Puppeteer, Playwright,
  Selenium, WebPageTest, …) that a crawler list may not name;
- one of the maintained bot lists names it: crawlerdetect, crawler-user-agents or Matomo
  device-detector's bots (`bot_lists`);
- it names no browser engine, no browser and no platform at all (`no_browser`): `node`,
  `SendGrid Event API`, a `${jndi:…}` probe — the bots no list has heard of yet.
The tracker itself skips `navigator.webdriver`; this is the server's backstop for events sent by
other means. Results are cached per User-Agent: the same UA repeats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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


@lru_cache(maxsize=CACHE_SIZE)
def _is_bot_user_agent(ua: str) -> bool:
    if automation_match(ua) or names_no_browser(ua):
        return True
    listed = without_device_names(ua)
    return bool(crawlerdetect_match(listed) or crawler_user_agents_match(listed) or matomo_match(listed))


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
