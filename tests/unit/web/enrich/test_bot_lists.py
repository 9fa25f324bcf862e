"""Each maintained bot list catches bots the others miss; device names never make a person a bot.

The User-Agents are real: the bots from crawler-user-agents' and Matomo's own test instances and
JayBizzle/Crawler-Detect's tests/data/user_agent/crawlers.txt, the people from Matomo
device-detector's device fixtures and ua-parser/uap-core's tests/test_ua.yaml.
"""

from __future__ import annotations

import re

import pytest
import regex

from tally.web.enrich.bot_lists import (
    crawler_user_agents_match,
    crawlerdetect_match,
    matomo_match,
    without_device_names,
)
from tally.web.enrich.bots import is_bot
from tally_dev import matomo_bots


@pytest.mark.parametrize("user_agent", [
    "AutomaticWPTester/1 CFNetwork/975.0.3 Darwin/17.7.0",
    "Microsoft-WebDAV-MiniRedir/10.0.10586",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X) PowerPoint/14.39.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) Chromium/31.0.1650.63 Site-Shot/2.1 "
    "(http://www.site-shot.com/) Safari/538.1",
])
def test_crawlerdetect_names_bots_the_other_lists_miss(user_agent):
    listed = without_device_names(user_agent)
    assert crawlerdetect_match(listed)
    assert not crawler_user_agents_match(listed) and not matomo_match(listed)


@pytest.mark.parametrize("user_agent", [
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT) NewsNow/1.0",
    "Mozilla/5.0 (compatible; Known Agents Browser/1.0; +https://knownagents.com)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0.4896.60 Safari/537.36 "
    "NewRelicSynthetics/1.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36 CookieHubScan/3.0",
])
def test_crawler_user_agents_names_bots_the_other_lists_miss(user_agent):
    listed = without_device_names(user_agent)
    assert crawler_user_agents_match(listed)
    assert not crawlerdetect_match(listed) and not matomo_match(listed)


@pytest.mark.parametrize("user_agent", [
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) HLB/1.247",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Anthropic-Claude/1.0; +https://www.anthropic.com)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko; Google-Sites-Thumbnails) "
    "Chrome/120.0.6099.71 Safari/537.36",
    "Mozilla/5.0 (compatible; MSIE 7.0; Windows NT 5.1; .NET CLR 1.1.4322) 360JK yunjiankong 427691",
])
def test_matomo_names_bots_the_other_lists_miss(user_agent):
    listed = without_device_names(user_agent)
    assert matomo_match(listed)
    assert not crawlerdetect_match(listed) and not crawler_user_agents_match(listed)


@pytest.mark.parametrize("user_agent", [
    # Android models and build ids that contain a list entry
    "Mozilla/5.0 (Linux; Android 6.0; VR BOT 552) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/72.0.3626.121 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 7.0; C Bot Tab 100) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.157 "
    "Safari/537.36",
    "Mozilla/5.0 (Linux; Android 4.2.2; HTC Butterfly Build/JDQ39) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/31.0.1650.59 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 15; RMX6688 Build/AP3A.240617.008) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.6723.58 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; U; Android 2.3.6; fr-fr; Cherry Sonic  Build/GRK39F) AppleWebKit/533.1 (KHTML, like Gecko) "
    "Version/4.0 Mobile Safari/533.1",
    # a TV's HbbTV vendor, an in-app browser's carrier, Sogou's browser, Chromium's network stack
    "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 "
    "HbbTV/1.6.1 (+DRM; LGE/KTC/BOTECH; 58BSE9503; WEBOS22 04.42.26; W22_K8LP; DTV_C22P;)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 11_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15G77 "
    "[FBAN/FBIOS;FBAV/194.0.0.38.99;FBBV/127868476;FBDV/iPhone7,2;FBMD/iPhone;FBSN/iOS;FBSV/11.4.1;FBSS/2;"
    "FBCR/OrangeBotswana;FBID/phone;FBLC/en_GB;FBOP/5;FBRV/128807018]",
    "Mozilla/5.0 (Linux; Android 10; TLA001 Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/80.0.3987.132 Safari/537.36 SogouMSE,SogouMobileBrowser/6.1.5",
    "com.tcl.browser/660067 (Linux; U; Android 12; tr_TR; Chromecast; Build/STTK.230808.004; Cronet/114.0.5735.33)",
    # a version number that contains a crawler's name (80legs' `008/`)
    "Opera/9.80 (MAUI Runtime; Opera Mini/4.4.39008/37.9178; U; en) Presto/2.12.423 Version/12.16",
])
def test_device_names_products_and_versions_that_collide_with_list_entries_are_not_bots(user_agent):
    assert is_bot(user_agent) is False


def test_a_crawler_whose_name_starts_with_a_digit_is_still_named():
    assert crawler_user_agents_match("Mozilla/5.0 (compatible; 008/0.83; http://www.80legs.com/webcrawler.html) "
                                     "Gecko/2008032620")


def test_a_bot_that_names_itself_after_an_android_model_is_still_a_bot():
    assert is_bot("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
                  "+http://www.google.com/bot.html)") is True


@pytest.fixture(scope="module")
def generated():
    return matomo_bots.generate()


def test_the_committed_matomo_list_is_the_installed_device_detector_list(generated):
    assert matomo_bots.DATA_PATH.read_text(encoding="utf-8") == matomo_bots.render(generated)


@pytest.mark.parametrize(("pcre", "python"), [
    ("(?<!cu|Hu|power[ _]|m[ _])bot", "(?<!cu)(?<!Hu)(?<!power[ _])(?<!m[ _])bot"),
    (r"(?<!node-|Mikrotik/\d\.[x\d] )fetch", r"(?<!node-)(?<!Mikrotik/\d\.[x\d] )fetch"),
    ("(?<!url)grabber", "(?<!url)grabber"),
])
def test_variable_width_look_behinds_become_a_chain_of_fixed_width_ones(pcre, python):
    assert matomo_bots.split_lookbehinds(pcre) == python


def test_the_rewritten_generic_matomo_pattern_decides_as_the_original_does(generated):
    generic = next(p for p in generated["patterns"] if p.startswith("[a-z0-9_-]*"))
    original = next(e["regex"] for e in matomo_bots.upstream_entries(matomo_bots.bots_yml().read_bytes())
                    if e["regex"].startswith("[a-z0-9_-]*"))
    texts = ["cubot", "Hubot", "power bot", "m_bot", "Bot Tab", "mybot/1.0", "node-fetch/2", "axios-fetch",
             "Mikrotik/6.x fetch", "urlgrabber", "grabber/1", "Cam scanner", "scanner", "Spider 8", "spider/2"]
    for text in texts:
        assert bool(re.search(generic, text, re.I)) == bool(regex.search(original, text, regex.I)), text
