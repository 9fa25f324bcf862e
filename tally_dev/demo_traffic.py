"""The last 30 days of realistic demo traffic (today so far included), loaded through the product's own import endpoint.

`make dev` sends each demo site's history (the sites, with their fixed ids, come from
`tally_dev.demo_objects`; elsewhere they are created over HTTP, as an org_admin) as NDJSON to
`POST /api/v1/sites/{site_id}/events/import` — the same path a customer's import takes — so the stream
and the aggregator process it like any other traffic; `demo_seal` then seals it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tally_dev.demo_ids import SITES, DemoSite

#: More than a page (10 rows) of pages and of referrers, so the dashboard's "Load more" has work to do.
PAGES = ["/", "/", "/", "/pricing", "/pricing", "/docs", "/docs/getting-started", "/docs/api", "/docs/tracker",
         "/docs/import", "/blog", "/blog/launch", "/blog/privacy-first-analytics", "/blog/serverless-costs",
         "/about", "/signup", "/changelog", "/contact"]
REFERRERS = ["", "", "", "https://www.google.com/", "https://www.google.com/", "https://www.google.de/",
             "https://duckduckgo.com/", "https://www.bing.com/", "https://news.ycombinator.com/", "https://t.co/abc",
             "https://www.reddit.com/r/selfhosted/", "https://github.com/tally/tally", "https://lobste.rs/",
             "https://www.linkedin.com/", "https://dev.to/", "https://mastodon.social/"]
#: Where demo visitors are, weighted (ISO 3166-1 alpha-2): the import's `country`, the live traffic's
#: CloudFront-Viewer-Country header.
COUNTRIES = ["DE"] * 6 + ["US"] * 5 + ["GB"] * 3 + ["FR"] * 2 + ["NL"] * 2 + ["IN", "BR", "CA", "SE", "PL", "JP",
                                                                             "ES", "AT", "CH"]
DOWNLOADS = ["tally-whitepaper.pdf", "pricing.pdf", "tally-cli.tar.gz"]
UTM = ["", "", "", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=november"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
    "Safari/537.36",
]
IMPORT_CHUNK = 1_000
#: How long before now the imported history stops: the last minutes (realtime) are live traffic's.
HISTORY_LAG = timedelta(minutes=30)
IMPORT_PARALLEL = 4


def history(site: DemoSite, *, days: int, now: datetime, seed: int = 42) -> Iterator[dict[str, Any]]:
    """Import lines for the site's last `days` days in its own time zone, today included until
    `HISTORY_LAG` before `now` — the dashboard's "Last 30 days" for `days=30`: its previous period holds
    nothing (the site began then: comparisons say "—"), and today is a partial day like any real site's,
    not empty. Visits of 1-6 pageviews on a diurnal curve of the site's local hours, signups and
    downloads with props. Realtime (the last 5 minutes) is left to live traffic.

    Every day is drawn in full from the seed and only lines before the cut are yielded, so a line's id
    names the same event whatever `now` is: a later import adds today's newer lines and changes nothing
    else."""
    cut = now - HISTORY_LAG
    rng = random.Random(f"{seed}-{site.domain}")
    zone = ZoneInfo(site.timezone)
    today = now.astimezone(zone).date()
    people = max(10, site.visits_per_day)
    line = 0
    for back in range(days - 1, -1, -1):
        midnight = datetime.combine(today - timedelta(days=back), time(0), tzinfo=zone)
        for _ in range(int(site.visits_per_day * rng.uniform(0.7, 1.3))):
            t = midnight + timedelta(hours=min(23.9, max(0.0, rng.gauss(14, 4))))
            person, referrer, utm = rng.randrange(people * 3), rng.choice(REFERRERS), rng.choice(UTM)
            ua = USER_AGENTS[person % len(USER_AGENTS)]
            country = COUNTRIES[person % len(COUNTRIES)]
            for _ in range(rng.choice([1, 1, 2, 3, 4, 6])):
                line += 1
                page = rng.choice(PAGES)  # every draw made, sent or not: the rest of the day stays as it is
                if t < cut:
                    yield {"id": f"demo-{line}", "timestamp": _utc(t), "name": "pageview",
                           "url": f"https://{site.domain}{page}{utm}", "referrer": referrer,
                           "visitor": f"person-{person}", "user_agent": ua, "country": country}
                if rng.random() < 0.04:
                    line += 1
                    plan = rng.choice(["free", "pro", "team"])
                    if t + timedelta(seconds=5) < cut:
                        yield {"id": f"demo-{line}", "timestamp": _utc(t + timedelta(seconds=5)),
                               "name": "Signup", "url": f"https://{site.domain}/signup", "visitor": f"person-{person}",
                               # two keys: the dashboard's click on Signup offers a key selector
                               "props": {"plan": plan, "billing": "yearly" if person % 3 == 0 else "monthly"},
                               "user_agent": ua, "country": country}
                elif rng.random() < 0.02:
                    line += 1
                    file = rng.choice(DOWNLOADS)
                    if t + timedelta(seconds=8) < cut:
                        yield {"id": f"demo-{line}", "timestamp": _utc(t + timedelta(seconds=8)),
                               "name": "Download", "url": f"https://{site.domain}/docs", "visitor": f"person-{person}",
                               "props": {"file": file}, "user_agent": ua, "country": country}
                t += timedelta(seconds=rng.randrange(10, 600))
                referrer, utm = "", ""


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def load_demo_traffic(api_url: str, admin_tokens: dict[str, str], *, days: int = 30,
                      now: datetime | None = None, sites_exist: bool = False) -> dict[str, int]:
    """Create each demo site (`sites_exist`: they were, under their fixed ids) and import its history;
    returns events accepted per domain.

    The history goes in chunks, IMPORT_PARALLEL at a time: the import function's pool has that
    many workers, so parsing in the functions overlaps with moto storing."""
    now = now or datetime.now(UTC)
    with httpx.Client(base_url=api_url, timeout=120) as client:
        requests = []
        for site in SITES:
            headers = {"Authorization": f"Bearer {admin_tokens[site.org]}"}
            site_id = site.site_id if sites_exist else ensure_site(client, site, headers)
            lines = list(history(site, days=days, now=now))
            requests += [(site.domain, site_id, headers, lines[start:start + IMPORT_CHUNK])
                         for start in range(0, len(lines), IMPORT_CHUNK)]

        def send(request: tuple[str, str, dict[str, str], list[dict[str, Any]]]) -> tuple[str, int]:
            domain, site_id, headers, chunk = request
            response = client.post(f"/api/v1/sites/{site_id}/events/import",
                                   content="\n".join(json.dumps(x) for x in chunk).encode(),
                                   headers={**headers, "Content-Type": "application/x-ndjson"})
            response.raise_for_status()
            return domain, int(response.json()["accepted"])

        accepted = {site.domain: 0 for site in SITES}
        with ThreadPoolExecutor(max_workers=IMPORT_PARALLEL, thread_name_prefix="tally-demo-import") as pool:
            for domain, count in pool.map(send, requests):
                accepted[domain] += count
    return accepted


def ensure_site(client: httpx.Client, site: DemoSite, headers: dict[str, str]) -> str:
    """Create the demo site (an org admin's `headers`), or find it when it is already there."""
    created = client.post("/api/v1/sites", headers=headers, json={"domain": site.domain, "timezone": site.timezone})
    if created.status_code == 409:
        return find_site_id(client, headers, site.domain)
    created.raise_for_status()
    return str(created.json()["site_id"])


def find_site_id(client: httpx.Client, headers: dict[str, str], domain: str) -> str:
    """The id of the org's site `domain`, looked up page by page (the org may hold more sites than a page)."""
    params: dict[str, str] = {}
    while True:
        page = client.get("/api/v1/sites", headers=headers, params=params).json()
        for listed in page["sites"]:
            if listed["domain"] == domain:
                return str(listed["site_id"])
        if not page.get("next_cursor"):
            raise LookupError(f"no site {domain} in this org")
        params = {"cursor": page["next_cursor"]}
