"""Browser, OS and device class named as Plausible names them, from real User-Agents."""

from __future__ import annotations

import pytest

from tally.web.enrich.user_agents import Client, DeviceClass, parse_user_agent
from tests.unit.web.enrich import ua_samples as ua

D, M, T = DeviceClass.desktop, DeviceClass.mobile, DeviceClass.tablet

CASES = [
    (ua.CHROME_WINDOWS, Client("Chrome", "131.0", "Windows", "10", D)),
    (ua.CHROME_MAC, Client("Chrome", "131.0", "Mac", "10.15", D)),
    (ua.FIREFOX_WINDOWS, Client("Firefox", "133.0", "Windows", "10", D)),
    (ua.FIREFOX_LINUX, Client("Firefox", "133.0", "GNU/Linux", None, D)),
    (ua.FIREFOX_UBUNTU, Client("Firefox", "133.0", "Ubuntu", None, D)),
    (ua.SAFARI_MAC, Client("Safari", "18.1", "Mac", "10.15", D)),
    (ua.EDGE_WINDOWS, Client("Microsoft Edge", "131.0", "Windows", "10", D)),
    (ua.OPERA_WINDOWS, Client("Opera", "115.0", "Windows", "10", D)),
    (ua.CHROME_OS, Client("Chrome", "131.0", "Chrome OS", "14541.0", D)),
    (ua.SAFARI_IPHONE, Client("Safari", "18.1", "iOS", "18.1", M)),
    (ua.CHROME_IPHONE, Client("Chrome", "131.0", "iOS", "17.6", M)),
    (ua.FIREFOX_IPHONE, Client("Firefox", "133.0", "iOS", "17.6", M)),
    (ua.CHROME_ANDROID, Client("Chrome", "131.0", "Android", "10", M)),
    (ua.SAMSUNG_ANDROID, Client("Samsung Internet", "26.0", "Android", "14", M)),
    (ua.FIREFOX_ANDROID, Client("Firefox", "133.0", "Android", "14", M)),
    (ua.SAFARI_IPAD, Client("Safari", "17.6", "iPadOS", "17.6", T)),
    (ua.CHROME_ANDROID_TABLET, Client("Chrome", "131.0", "Android", "13", T)),
    (ua.LENOVO_TABLET, Client("Chrome", "120.0", "Android", "11", T)),
    (ua.KINDLE_FIRE, Client("Amazon Silk", "112.4", "Android", "9", T)),
    (ua.ANDROID_WEBVIEW, Client("Mobile App", None, "Android", "14", M)),
    (ua.SAMSUNG_TV, Client("Safari", None, "Tizen", "6.0", D)),
]


@pytest.mark.parametrize(("user_agent", "expected"), CASES, ids=[c[1].browser + "-" + str(c[1].os) for c in CASES])
def test_browsers_os_and_device_classes_of_real_user_agents(user_agent, expected):
    assert parse_user_agent(user_agent) == expected


def test_crawlers_have_no_device_class():
    assert parse_user_agent(ua.GOOGLEBOT).device is None
    assert parse_user_agent(ua.GOOGLEBOT_SMARTPHONE).device is None


def test_a_tool_says_nothing_about_os_or_device():
    client = parse_user_agent(ua.CURL)

    assert (client.os, client.os_version, client.device) == (None, None, None)


@pytest.mark.parametrize("user_agent", [None, "", "  ", "garbage"])
def test_an_empty_or_unknown_user_agent_gives_an_empty_client(user_agent):
    assert parse_user_agent(user_agent) == Client(None, None, None, None, None)


def test_parses_are_cached_per_user_agent():
    first = parse_user_agent(ua.CHROME_WINDOWS)

    assert parse_user_agent(ua.CHROME_WINDOWS) is first
