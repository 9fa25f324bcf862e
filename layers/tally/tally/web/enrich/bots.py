"""Is this request a bot? Crawlers, HTTP libraries, headless and automated browsers.

The crawler list is `crawlerdetect` (a maintained port of JayBizzle's CrawlerDetect: Googlebot,
bingbot, curl, python-requests, HeadlessChrome, Lighthouse, …). On top of it Tally drops what an
analytics ingest must never count and a crawler list may not name: an empty User-Agent and the
markers of browser automation (headless Chrome's client hints, PhantomJS, Puppeteer, Playwright,
Selenium, WebPageTest, …). The tracker itself skips `navigator.webdriver`; this is the server's
backstop for events sent by other means.

Results are cached per User-Agent: the same UA repeats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

MAX_CHECKED_UA = 1024
CACHE_SIZE = 8192

_AUTOMATION = re.compile(
    r"HeadlessChrome|Headless|PhantomJS|SlimerJS|Lighthouse|Puppeteer|Playwright|Selenium|WebDriver|"
    r"Cypress/|Nightmare|jsdom|Zombie\.js|PTST/|Google Page Speed|Prerender",
    re.IGNORECASE,
)


@cache
def _detector() -> Any:
    from crawlerdetect import CrawlerDetect  # type: ignore[import-untyped]  # untyped: kept behind this function

    return CrawlerDetect()


@lru_cache(maxsize=CACHE_SIZE)
def _is_bot_user_agent(ua: str) -> bool:
    if _AUTOMATION.search(ua):
        return True
    return bool(_detector().is_crawler(ua))


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
