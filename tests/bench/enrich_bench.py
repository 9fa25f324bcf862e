"""Enrichment CPU per event: bot check + UA parse + source + page + both visitor ids, I/O stubbed.

The traffic model: 20,000 events over 300 distinct User-Agents (browser and OS versions of the
families people use, Zipf-weighted as real traffic is: a few UAs carry most events), 5 % bots,
a referrer mix of direct, search, social and unknown sites, 10 % of pages tagged with UTM. Salts
come from memory (the store caches them for the day anyway). "Warm" is a container past its first
events: the UA caches filled, as the same UAs repeat. The uncached figure parses every UA afresh,
the worst case of a container that sees only new UAs; it has no budget.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime
from typing import Any

from tally.web.enrich import bots, user_agents
from tally.web.enrich.bots import is_bot
from tally.web.enrich.pages import normalize_page
from tally.web.enrich.sources import source_from
from tally.web.enrich.user_agents import parse_user_agent
from tally.web.visitors.ids import VisitorIds
from tally.web.visitors.salts import DailySalt, SaltPair

EVENTS = 20_000
DISTINCT_UAS = 300
BUDGET_MS = 1.0
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


class _MemorySalts:
    def __init__(self) -> None:
        self._pair = SaltPair(DailySalt(date(2026, 11, 25), bytes(range(32))),
                              DailySalt(date(2026, 11, 24), bytes(range(1, 33))))

    def current_and_previous(self, now: datetime) -> SaltPair:
        return self._pair


def user_agent_mix(rng: random.Random, n: int) -> list[str]:
    """n distinct, realistic User-Agents: desktop and mobile browsers across versions, plus some bots."""
    templates = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
        "Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
        "Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
        "Safari/537.36 Edg/{v}.0.{b}.{p}",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
        "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/{s}.{m} Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS {s}_{m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/{s}.{m} Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPad; CPU OS {s}_{m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/{s}.{m} Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS {s}_{m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "CriOS/{v}.0.{b}.{p} Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android {a}; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
        "Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android {a}; SM-S9{p}B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/{s}.0 "
        "Chrome/{v}.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android {a}; SM-X{p}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 "
        "Safari/537.36",
        "Mozilla/5.0 (Android {a}; Mobile; rv:{v}.0) Gecko/{v}.0 Firefox/{v}.0",
    ]
    bot_templates = [
        "Mozilla/5.0 (compatible; Googlebot/2.{m}; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.{m}; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/{v}.0.0.0 "
        "Safari/537.36",
        "curl/8.{m}.{p}",
        "python-requests/2.{v}.{m}",
    ]
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        pool = bot_templates if rng.random() < 0.05 else templates
        ua = rng.choice(pool).format(v=rng.randint(100, 133), b=rng.randint(1000, 6999), p=rng.randint(10, 99),
                                     s=rng.randint(14, 18), m=rng.randint(0, 6), a=rng.randint(9, 15))
        if ua not in seen:
            seen.add(ua)
            out.append(ua)
    return out


REFERRERS = (
    [None] * 40
    + ["https://www.google.com/"] * 20 + ["https://www.google.co.uk/search?q=tally"] * 3
    + ["https://www.bing.com/search?q=tally"] * 3 + ["https://duckduckgo.com/"] * 3
    + ["https://t.co/Ab12Cd"] * 4 + ["https://l.facebook.com/l.php?u=x"] * 3 + ["https://www.reddit.com/r/x/"] * 3
    + ["https://news.ycombinator.com/item?id=1"] * 2 + ["android-app://com.google.android.gm"] * 2
    + ["https://blog.example.org/post/1", "https://newsletter.example.net/issue-4"] * 4
    + ["https://example.com/pricing"] * 9  # self-referrals
)
PAGES = ["/", "/pricing", "/blog/", "/blog/how-we-count", "/docs/getting-started", "/about", "/caf%C3%A9/"]


def traffic(rng: random.Random, uas: list[str]) -> list[tuple[str, str | None, str, str]]:
    """(user_agent, referrer, url, ip) per event; UAs Zipf-weighted."""
    weights = [1 / (rank + 1) for rank in range(len(uas))]
    events = []
    chosen = rng.choices(uas, weights=weights, k=EVENTS)
    for ua in chosen:
        query = "?utm_source=newsletter&utm_medium=email&utm_campaign=launch" if rng.random() < 0.1 else ""
        url = f"https://www.example.com{rng.choice(PAGES)}{query}"
        ip = f"203.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        events.append((ua, rng.choice(REFERRERS), url, ip))
    return events


def enrich(events: list[tuple[str, str | None, str, str]], ids: VisitorIds) -> int:
    kept = 0
    headers = {"content-type": "text/plain"}
    for ua, referrer, url, ip in events:
        if is_bot(ua, headers):
            continue
        parse_user_agent(ua)
        source_from(referrer, url, "example.com")
        normalize_page(url)
        ids.for_event("site-bench", ip, ua, NOW)
        kept += 1
    return kept


def clear_caches() -> None:
    user_agents._parse_cached.cache_clear()
    bots._is_bot_user_agent.cache_clear()


def run() -> list[dict[str, Any]]:
    rng = random.Random(4)
    uas = user_agent_mix(rng, DISTINCT_UAS)
    events = traffic(rng, uas)
    ids = VisitorIds(_MemorySalts())

    clear_caches()
    started = time.process_time()
    enrich(events[:1], ids)  # loads the UA rules, crawler patterns and referrer database
    init_ms = (time.process_time() - started) * 1000

    clear_caches()
    started = time.process_time()
    enrich([(ua, None, "https://example.com/", "203.0.113.1") for ua in uas], ids)
    uncached_ms = (time.process_time() - started) * 1000 / len(uas)

    enrich(events, ids)  # warm: every UA of the mix seen once
    rounds = 3
    started = time.process_time()
    for _ in range(rounds):
        enrich(events, ids)
    warm_ms = (time.process_time() - started) * 1000 / (rounds * len(events))

    return [
        {"name": "enrich.cpu_per_event_warm", "value": round(warm_ms, 4), "unit": "ms CPU",
         "budget": f"<= {BUDGET_MS:g}",
         "ok": warm_ms <= BUDGET_MS, "events": EVENTS * rounds, "distinct_user_agents": DISTINCT_UAS},
        {"name": "enrich.cpu_per_new_user_agent", "value": round(uncached_ms, 4), "unit": "ms CPU", "budget": "",
         "ok": None, "baseline": "same events with the UA caches warm"},
        {"name": "enrich.cpu_first_event_of_a_container", "value": round(init_ms, 1), "unit": "ms CPU",
         "budget": "", "ok": None},
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure)
