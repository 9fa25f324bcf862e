"""The maintained bot lists analytics tools rely on, each searched the way its maintainers search it.

- crawlerdetect (JayBizzle's CrawlerDetect, Python port): strip its exclusions (browser and OS
  tokens) from the UA, then look for a crawler pattern in what is left, case-insensitively. Only
  its data is used: `PatternList` runs the same search in microseconds instead of its ~1 ms.
- crawler-user-agents (monperrus/crawler-user-agents, the PyPI package `crawler-user-agents`):
  case-sensitive patterns, as the package's own `is_crawler` applies them, except that an entry
  starting with a digit (`008/`, 80legs' crawler) never starts inside a number
  (`Opera Mini/4.4.39008/37.9178`).
- Matomo device-detector's `bots.yml`, generated into `data/matomo_bots.json` (see `data/README.md`):
  case-insensitive, each pattern behind Matomo's word-boundary prefix.

The lists search the UA with its device names blanked out: an Android phone's model and build id
(`VR BOT 552`, `HTC Butterfly`, `Build/AP3A.240617.008`), a TV's HbbTV vendor and model
(`BOTECH`) and the device and carrier fields of Facebook's and Instagram's in-app browsers
(`FBCR/OrangeBotswana`) are chosen by vendors and carriers, not bots, and collide with list
entries (`bot`, `Butterfly`, a crawler's build id). Bots announce themselves elsewhere in the UA.
Blanked too are two product tokens of people's software that the lists' broad entries hit:
Sogou's browser and search app (`Sogou` is meant for Sogou's spiders) and Chromium's network
stack `Cronet/` (`cron` is meant for cron jobs).

Each list loads on first use, never at import.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from tally.web.enrich.bot_patterns import PatternList

MATOMO_DATA = Path(__file__).parent / "data" / "matomo_bots.json"
#: Matomo's `Bot` parser puts every pattern behind this (DeviceDetector::BOUNDED_REGEX upstream).
MATOMO_BOUNDARY = r"(?:^|[^A-Z0-9_-]|[^A-Z0-9-]_|sprd-|MZ-)(?:{})"


_ANDROID_MODEL = re.compile(r"(Android[ \d.]*;(?: ?(?:U|[a-z]{2,3}(?:[-_][a-z]{2,4})?);)*) ?[^;)]+", re.IGNORECASE)
_BUILD_ID = re.compile(r"Build/[^;)\s]+")
_HBBTV_DEVICE = re.compile(r"(HbbTV/[\d.]+ ?)\([^)]*\)")
_IN_APP_DEVICE = re.compile(r"(FB(?:CR|DV|MD|MF|BD)/)[^;\]]*|(Instagram [\d.]+ \w+ )\([^)]*\)")
_PEOPLES_PRODUCTS = re.compile(r"Sogou(?:MSE|Search|\w*Browser/[\d.]+)|Cronet/[\d.]+")


def without_device_names(user_agent: str) -> str:
    """The UA with vendor-chosen device names and the product tokens above blanked out."""
    if "Android" in user_agent:
        user_agent = _BUILD_ID.sub("Build/", _ANDROID_MODEL.sub(r"\1 ", user_agent))
    if "HbbTV" in user_agent:
        user_agent = _HBBTV_DEVICE.sub(r"\1()", user_agent)
    if "FB" in user_agent or "Instagram" in user_agent:
        user_agent = _IN_APP_DEVICE.sub(lambda m: m.group(1) or f"{m.group(2)}()", user_agent)
    return _PEOPLES_PRODUCTS.sub("", user_agent)


def crawlerdetect_match(user_agent: str) -> str | None:
    exclusions, crawlers = _crawlerdetect()
    remainder = exclusions.sub("", user_agent)
    return crawlers.search(remainder) if remainder else None


def crawler_user_agents_match(user_agent: str) -> str | None:
    return _crawler_user_agents().search(user_agent)


def matomo_match(user_agent: str) -> str | None:
    return _matomo().search(user_agent)


@cache
def _crawlerdetect() -> tuple[re.Pattern[str], PatternList]:
    from crawlerdetect.providers.crawlers import data as crawlers  # type: ignore[import-untyped]
    from crawlerdetect.providers.exclusions import data as exclusions  # type: ignore[import-untyped]

    return re.compile("|".join(exclusions), re.IGNORECASE), PatternList(crawlers, flags=re.IGNORECASE)


@cache
def _crawler_user_agents() -> PatternList:
    from crawleruseragents import CRAWLER_USER_AGENTS_DATA  # type: ignore[import-untyped]

    return PatternList([rf"(?<![0-9]){p}" if p[:1].isdigit() else p
                        for p in (entry["pattern"] for entry in CRAWLER_USER_AGENTS_DATA)])


@cache
def _matomo() -> PatternList:
    patterns = json.loads(MATOMO_DATA.read_text(encoding="utf-8"))["patterns"]
    return PatternList(patterns, flags=re.IGNORECASE, template=MATOMO_BOUNDARY)
