"""The demo users' last working days of "my usage": sessions on several days, a script's API-key sessions.

The requests go through the product's whole path — the authorizer, the handlers (which write their
audit rows), the access log, the log subscription and the usage recorder — each made at a past moment
by the local cloud's request-time header (`tally_dev.localcloud.events.REQUEST_TIME_HEADER`), which
sets API Gateway's request time and so the time of the request's audit row and access-log line. Nothing
is written to the usage table by hand.

The pattern, the same for a given date: on working days the demo viewer opens the dashboard in the
morning (a desktop browser session), some afternoons again on a phone, and a reporting script with the
viewer's API key reads the overview every morning (twice on one day: two key sessions); the demo
org_admin's API key (the one `make dev` prints) syncs every evening. About 70 requests.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import httpx

from tally_dev.localcloud.events import REQUEST_TIME_HEADER

#: Days before today that the demo fills, and the gap between one visit's requests.
PAST_DAYS = 10
REQUEST_GAP = timedelta(seconds=40)

DESKTOP = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7; rv:126.0) Gecko/20100101 Firefox/126.0", "DE")
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.4 Mobile/15E148 Safari/604.1", "AT")
SCRIPT = ("python-httpx/0.27.0", "DE")


@dataclass(frozen=True)
class Visit:
    """A burst of reads by one credential: a browser session (`token` names its sid) or an API key."""

    start: datetime
    credential: str  # "viewer key", "admin key", or the name of a browser session (one sid per name)
    client: tuple[str, str]  # (User-Agent, CloudFront-Viewer-Country)
    reads: tuple[tuple[str, dict[str, str]], ...]  # (path under the site, or absolute; query)


@dataclass(frozen=True)
class Credentials:
    """What each credential of a plan sends as its bearer: the two keys, or a token with the session's id."""

    viewer_key: str
    admin_key: str
    token: Callable[[str], str] = field(repr=False)  # session name -> the demo viewer's JWT of that session

    def bearer(self, credential: str) -> str:
        if credential == "viewer key":
            return self.viewer_key
        if credential == "admin key":
            return self.admin_key
        return self.token(credential)


_BROWSE = (("stats/overview", {"period": "30d", "compare": "previous_period"}),
           ("stats/timeseries", {"period": "30d"}), ("stats/breakdown", {"period": "30d", "property": "page"}),
           ("stats/breakdown", {"period": "30d", "property": "source"}), ("stats/overview", {"period": "7d"}),
           ("stats/breakdown", {"period": "7d", "property": "country"}), ("/api/v1/ops/failures", {"since": "24h"}))
_GLANCE = (("stats/overview", {"period": "day"}), ("stats/breakdown", {"period": "day", "property": "browser"}))
_REPORT = (("stats/overview", {"period": "7d"}), ("stats/breakdown", {"period": "7d", "property": "source"}))
_SYNC = (("stats/timeseries", {"period": "7d"}),)


def plan(today: date, days: int = PAST_DAYS) -> list[Visit]:
    """The visits of the `days` days before `today`, in time order; the same for the same date."""
    rng = random.Random(today.toordinal())
    visits: list[Visit] = []
    rerun = True  # the first working day the script was re-run after lunch: two key sessions that day
    for ago in range(days, 0, -1):
        day = today - timedelta(days=ago)
        weekday = day.weekday() < 5

        def at(hour: int, spread_min: int, day: date = day) -> datetime:
            return datetime.combine(day, time(hour), UTC) + timedelta(minutes=rng.randrange(spread_min))

        if weekday:
            visits.append(Visit(at(6, 20), "viewer key", SCRIPT, _REPORT))
            if rerun:
                visits.append(Visit(at(13, 30), "viewer key", SCRIPT, _REPORT))
                rerun = False
            reads = _BROWSE[:rng.randrange(3, len(_BROWSE) + 1)]
            visits.append(Visit(at(8, 90), f"demo-viewer-{day}-desk", DESKTOP, reads))
            if rng.random() < 0.5:
                visits.append(Visit(at(16, 120), f"demo-viewer-{day}-phone", PHONE, _GLANCE))
        elif rng.random() < 0.5:  # now and then a look at the weekend
            visits.append(Visit(at(10, 120), f"demo-viewer-{day}-phone", PHONE, _GLANCE[:2]))
        visits.append(Visit(at(21, 30), "admin key", SCRIPT, _SYNC))
    return sorted(visits, key=lambda v: v.start)


def requests_of(visits: list[Visit]) -> Iterator[tuple[datetime, Visit, str, dict[str, str]]]:
    """Each visit's reads as (moment, visit, path, query), a `REQUEST_GAP` apart."""
    for visit in visits:
        for n, (path, query) in enumerate(visit.reads):
            yield visit.start + n * REQUEST_GAP, visit, path, query


def lanes(visits: list[Visit], token_lanes: int = 2) -> list[list[Visit]]:
    """The visits split for sending side by side: each API key's in one lane, in time order (the recorder
    tells a key's sessions apart by the order of its requests); token sessions spread over the rest."""
    by_key: dict[str, list[Visit]] = {}
    tokens: list[list[Visit]] = [[] for _ in range(token_lanes)]
    for n, visit in enumerate(sorted(visits, key=lambda v: v.start)):
        if visit.credential.endswith(" key"):
            by_key.setdefault(visit.credential, []).append(visit)
        else:
            tokens[n % token_lanes].append(visit)
    return [lane for lane in (*by_key.values(), *tokens) if lane]


def send(http: httpx.Client, visits: list[Visit], credentials: Credentials, site_id: str) -> int:
    """Send every planned request at its moment, a few lanes side by side; returns how many answered 2xx."""
    def run(lane: list[Visit]) -> int:
        ok = 0
        for moment, visit, path, query in requests_of(lane):
            url = path if path.startswith("/") else f"/api/v1/sites/{site_id}/{path}"
            agent, country = visit.client
            response = http.get(url, params=query, headers={
                "Authorization": f"Bearer {credentials.bearer(visit.credential)}", "User-Agent": agent,
                "CloudFront-Viewer-Country": country, REQUEST_TIME_HEADER: str(int(moment.timestamp() * 1000))})
            ok += response.is_success
        return ok

    split = lanes(visits)
    with ThreadPoolExecutor(max_workers=len(split) or 1, thread_name_prefix="tally-demo-usage") as pool:
        return sum(pool.map(run, split))
