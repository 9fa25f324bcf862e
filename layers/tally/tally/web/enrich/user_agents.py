"""Browser, OS and device class from a User-Agent, named the way Plausible's dashboard names them.

Parsing is ua-parser 1.x with its bundled uap-core rules (`ua-parser-builtins`), on the Rust
accelerator (`ua-parser-rs`) where its wheel is installed. Names follow Plausible: mobile
flavours fold into their browser (`Mobile Safari` → `Safari`, `Chrome Mobile iOS` → `Chrome`),
Android WebViews are `Mobile App`, versions are `major.minor`, macOS is `Mac`, Linux is
`GNU/Linux`. The device class is what Plausible derives from the UA: `Mobile`, `Tablet` or
`Desktop` (TVs and consoles count as desktop), None when the UA does not tell (curl, crawlers).

ua-parser has no device *class*, so the class comes from the parsed device and OS plus the
conventions browsers document: Android without `Mobile` is a tablet (Chrome's rule), `Mobi`
means a phone (MDN's rule).

The same UA repeats across a site's events, so results are kept in an LRU cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ua_parser import Parser, Result

#: Longer User-Agents are parsed (and cached) by their first characters only.
MAX_PARSED_UA = 1024
CACHE_SIZE = 8192


class DeviceClass(StrEnum):
    desktop = "Desktop"
    mobile = "Mobile"
    tablet = "Tablet"


@dataclass(frozen=True, slots=True)
class Client:
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device: DeviceClass | None


_BROWSER_NAMES = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Firefox Focus": "Firefox",
    "Edge": "Microsoft Edge",
    "Edge Mobile": "Microsoft Edge",
    "Opera Mobile": "Opera",
    "Opera Mini": "Opera",
    "Yandex Browser Lite": "Yandex Browser",
    "Chrome Mobile WebView": "Mobile App",
    "Other": "",
}
_OS_NAMES = {"Mac OS X": "Mac", "Linux": "GNU/Linux", "Other": ""}
_DESKTOP_OS = frozenset({
    "Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "Debian", "FreeBSD", "OpenBSD", "NetBSD",
    "Linux Mint", "Arch Linux", "openSUSE", "Red Hat", "Gentoo", "Mandriva", "Slackware", "Solaris",
    "Kubuntu", "Xubuntu", "Lubuntu", "Elementary OS", "Manjaro", "Haiku", "CentOS",
})
_MOBILE_OS = frozenset({"iOS", "Windows Phone", "BlackBerry OS", "KaiOS", "Symbian OS", "Firefox OS", "Sailfish"})
_TV_OR_CONSOLE_OS = frozenset({"Tizen", "webOS", "Roku", "PlayStation", "Nintendo", "Xbox", "tvOS"})
_TABLET_DEVICE_FAMILIES = frozenset({"iPad", "Kindle", "Generic Tablet"})
_MOBILE_DEVICE_FAMILIES = frozenset({"iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone"})


@cache
def _parser() -> Parser:
    """ua-parser's best resolver over the bundled rules, without its own cache (we cache whole Clients)."""
    from ua_parser import BestAvailableResolver, Parser, load_lazy_builtins

    return Parser(BestAvailableResolver(load_lazy_builtins()))


@lru_cache(maxsize=CACHE_SIZE)
def _parse_cached(user_agent: str) -> Client:
    return _client_from(_parser().parse(user_agent), user_agent)


def parse_user_agent(user_agent: str | None) -> Client:
    """Browser, OS and device class of a User-Agent (all None when it says nothing)."""
    ua = (user_agent or "").strip()[:MAX_PARSED_UA]
    if not ua:
        return Client(None, None, None, None, None)
    return _parse_cached(ua)


def _client_from(result: Result, ua: str) -> Client:
    agent, os, device = result.user_agent, result.os, result.device
    browser = _BROWSER_NAMES.get(agent.family, agent.family) if agent else None
    os_family = os.family if os else None
    os_name = _OS_NAMES.get(os_family, os_family) if os_family else None
    device_family = device.family if device else None
    if os_family == "iOS" and device_family == "iPad":
        os_name = "iPadOS"
    versioned = agent is not None and bool(browser) and browser != "Mobile App"
    return Client(
        browser=browser or None,
        browser_version=_major_minor(agent.major, agent.minor) if agent and versioned else None,
        os=os_name or None,
        os_version=_major_minor(os.major, os.minor) if os and os_name else None,
        device=_device_class(ua, os_family, device_family, device.brand if device else None),
    )


def _major_minor(major: str | None, minor: str | None) -> str | None:
    if not major:
        return None
    return f"{major}.{minor}" if minor else major


def _device_class(ua: str, os_family: str | None, family: str | None, brand: str | None) -> DeviceClass | None:
    if family == "Spider":
        return None
    if family in _TABLET_DEVICE_FAMILIES or brand == "Generic_Android_Tablet" or "Tablet" in ua:
        return DeviceClass.tablet
    if family in _MOBILE_DEVICE_FAMILIES or os_family in _MOBILE_OS:
        return DeviceClass.mobile
    if os_family == "Android":
        if " TV" in ua or "AFT" in ua or "SMART-TV" in ua:
            return DeviceClass.desktop
        return DeviceClass.mobile if "Mobi" in ua else DeviceClass.tablet
    if "Mobi" in ua:
        return DeviceClass.mobile
    if os_family in _DESKTOP_OS or os_family in _TV_OR_CONSOLE_OS or "SMART-TV" in ua or "SmartTV" in ua:
        return DeviceClass.desktop
    return None


def parse_cache_info() -> str:
    """Hit/miss counts of the UA cache (for logs and the bench)."""
    return str(_parse_cached.cache_info())
