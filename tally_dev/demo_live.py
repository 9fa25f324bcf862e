"""Live demo traffic: while `tally dev` runs, a few visitors a minute arrive on the demo site through
`POST /api/event`, as a tracker would send them, so realtime moves and today grows.

Each visitor is a browser (a user agent of its own, so a visitor id of its own: the local cloud sees
every request from 127.0.0.1) in a country, given by the `CloudFront-Viewer-Country` header ingest
reads behind CloudFront. A visit is one to five pageviews a few seconds apart; some sign up (a goal
with a `plan` property). A background step of `tally_dev.demo_background`: it stops on Ctrl-C.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from tally_dev.demo_traffic import COUNTRIES, PAGES, REFERRERS, SITES

if TYPE_CHECKING:
    from tally_dev.demo_background import DemoContext

#: Seconds between two visits (uniform), and between a visit's pageviews.
VISIT_GAP_S = (4.0, 12.0)
PAGE_GAP_S = (2.0, 8.0)


@dataclass(frozen=True)
class Hit:
    """One request to `POST /api/event`: its body and headers, and the pause before it."""

    body: dict[str, object]
    headers: dict[str, str]
    wait_s: float


def browser(rng: random.Random) -> str:
    major, build = rng.randrange(120, 132), rng.randrange(1000, 7000)
    return (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{major}.0.{build}.{rng.randrange(10, 200)} Safari/537.36")


def visits(rng: random.Random, domain: str) -> Iterator[Hit]:
    """Endless visits to `domain`: each a new browser in a country, 1-5 pageviews, sometimes a signup."""
    while True:
        headers = {"User-Agent": browser(rng), "Content-Type": "text/plain",
                   "CloudFront-Viewer-Country": rng.choice(COUNTRIES)}
        referrer = rng.choice(REFERRERS)
        wait = rng.uniform(*VISIT_GAP_S)
        for _ in range(rng.choice([1, 1, 2, 3, 5])):
            body: dict[str, object] = {"n": "pageview", "u": f"https://{domain}{rng.choice(PAGES)}", "d": domain}
            if referrer:
                body["r"] = referrer
            yield Hit(body, headers, wait)
            referrer, wait = "", rng.uniform(*PAGE_GAP_S)
        if rng.random() < 0.1:
            yield Hit({"n": "Signup", "u": f"https://{domain}/signup", "d": domain,
                       "p": {"plan": rng.choice(["free", "pro", "team"])}}, headers, 1.0)


def send(client: httpx.Client, hit: Hit) -> int:
    return client.post("/api/event", content=json.dumps(hit.body), headers=hit.headers).status_code


def live_traffic(ctx: DemoContext) -> None:
    rng = random.Random()
    with httpx.Client(base_url=ctx.cloud.url, timeout=10) as client:
        for hit in visits(rng, SITES[0].domain):
            if ctx.stopping.wait(hit.wait_s):
                return
            send(client, hit)
