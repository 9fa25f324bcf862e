"""The rule for User-Agents that name no browser engine, no browser and nothing a browser runs on.

A browser says what renders the page (`AppleWebKit`, `Gecko`, `Trident`, `Presto`, `MSIE`, …) or,
on old phones, TVs and rare systems, at least its own name or its platform (`UP.Browser`, `MIDP`,
`HbbTV`, `Nintendo`, `Lynx`, `AmigaOS`). What names none of these is a program speaking for
itself: `node`, `SendGrid Event API`, `Bluesky Cardyb/1.1`, `libredtail-http`, a
`${jndi:ldap://…}` probe, `Mozilla/5.0 (compatible; Google-NotebookLM; …)`. No bot list can name
them all, so this rule drops them whatever they are called.

The tokens are families, not devices: engines; browsers that do not name an engine (text-mode,
feature-phone, TV and retro browsers, and the generic word `browser` that many of them carry); and
the systems apps run on, so that an app's own HTTP stack (`Dalvik/2.1.0 (Linux; U; Android 14; …)`,
`MyApp/3 CFNetwork/1410 Darwin/22.6.0`) and in-app webviews are not taken for scripts.
"""

from __future__ import annotations

import re
from functools import cache

from tally.web.enrich.bot_patterns import PatternList

# Short names and everyday words only count as whole words (`axios` is not iOS, `FeedFlow/` not Flow).
_ENGINES = (
    r"AppleWebKit|WebKit|Gecko|KHTML|Trident|Presto|EdgeHTML|\bEdge/|Goanna|\bServo/|\bBlink\b|\bLibWeb\b|"
    r"NetFront|MSIE|Opera|\bOPR/|Ekioh|\bFlow/|Dolfin|Obigo|Teleca|Openwave|UP\.Browser|\bMAUI\b|Polaris|Jasmine"
)
_BROWSERS = (
    r"browser|Firefox|Chrome|Chromium|Safari|CriOS|FxiOS|UCWEB|UC ?Browser|UCMini|\bLynx\b|\bLinks\b|ELinks|\bw3m\b|"
    r"\bDillo\b|NetSurf|Mosaic|\bAmaya\b|\biCab\b|IBrowse|Voyager|\bAWeb\b|NetPositive|OmniWeb|Sleipnir|HotJava|"
    r"Oregano|\bFresco\b|\bDorado\b|Xiino|Palmscape|\bWebPro\b|Bunjalloo|OffByOne|\bCharon\b|Galio|Konqueror|"
    r"SeaMonkey|\bSilk/|\bMaple"
)
_PLATFORMS = (
    r"Windows|\bWin(?:32|64|NT|9[58]|\d+)\b|Macintosh|Mac ?OS|Darwin|iPhone|iPad|iPod|\biOS\b|Android|Dalvik|Linux|"
    r"\bX11\b|\bCrOS\b|BlackBerry|\bBB10\b|Symbian|Series ?[468]0|\bMIDP|\bCLDC|\bJ2ME\b|\bBREW\b|KaiOS|Tizen|webOS|"
    r"Web0S|HbbTV|Smart-?TV|PlayStation|Nintendo|\bXbox\b|Kindle|\bRoku|HarmonyOS|OpenHarmony|DoCoMo|\bWAP\b|"
    r"AmigaOS|\bBeOS\b|\bHaiku\b|RISC ?OS|\bOS/2\b|PalmOS|FreeBSD|OpenBSD|NetBSD|SunOS|Solaris|\bIRIX\b|HP-UX|"
    r"\bAIX\b|OpenVMS|\bInferno\b|Ubuntu|Fedora|Debian"
)


@cache
def _browser_or_platform() -> PatternList:
    return PatternList([_ENGINES, _BROWSERS, _PLATFORMS], flags=re.IGNORECASE)


def names_no_browser(user_agent: str) -> bool:
    """True when the UA names no engine, browser or platform: a program, not a person's browser."""
    return _browser_or_platform().search(user_agent) is None
