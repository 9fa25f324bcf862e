"""The demo's "my usage": requests, sessions, data access and one finished export for the demo users.

Run after `tally dev` is ready (a background step of `tally_dev/demo_background.py`), so it costs the
ready time nothing. Everything goes through the product's own paths: real HTTP requests to the local
cloud (recorded by the usage recorder from the access log, audited by the handlers that read), one
export built by the export job from the export queue and read back (a download). First the last ten
days (`tally_dev.demo_usage_days`: requests made at past moments, browser sessions on several days and
an API key's sessions), then today's. The demo viewer's dashboard token is one of today's sessions, so
`/me/stats` opened from the printed link has a current session with requests in it.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache

import httpx

from tally.auth.api_keys import issue_api_key
from tally.platform.caller import Role
from tally_dev.demo import LocalApiKeyStore
from tally_dev.demo_background import DemoContext
from tally_dev.demo_traffic import SITES, find_site_id
from tally_dev.demo_usage_days import PAST_DAYS, Credentials, plan, send
from tally_dev.tokens import issue_token

#: How long the step waits for the demo export to be ready before it gives up (it says so in the log).
EXPORT_WAIT_S = 120


def load_my_usage(ctx: DemoContext) -> None:
    cloud, demo = ctx.cloud, ctx.demo
    viewer = demo.users[("demo", "viewer")]
    sessions = {
        "dashboard link": demo.token("demo", "viewer"),
        "another browser": issue_token("demo", "viewer", user=viewer, ttl_s=7 * 86_400),
    }
    with httpx.Client(base_url=cloud.url, timeout=30) as http:
        _past_days(ctx, http, viewer)
        if ctx.stopping.is_set():
            return
        site_id = ""
        for name, token in sessions.items():
            headers = {"Authorization": f"Bearer {token}"}
            site_id = find_site_id(http, headers, SITES[0].domain)
            for period in ("30d", "7d", "day"):
                http.get(f"/api/v1/sites/{site_id}/stats/overview", headers=headers,
                         params={"period": period, "compare": "previous_period"})
                http.get(f"/api/v1/sites/{site_id}/stats/timeseries", headers=headers, params={"period": period})
            for prop in ("page", "source", "country", "browser"):
                http.get(f"/api/v1/sites/{site_id}/stats/breakdown", headers=headers,
                         params={"period": "30d", "property": prop})
            http.get("/api/v1/ops/failures", headers=headers, params={"since": "24h"})
            ctx.say(f"demo: my usage: requests of the {name} session sent")
            if ctx.stopping.is_set():
                return
        _one_export(ctx, http, site_id, sessions["dashboard link"])
    cloud.delivery.settle()  # the access log's last batch reaches the usage recorder


def _past_days(ctx: DemoContext, http: httpx.Client, viewer: str) -> None:
    """The last days' visits of the demo viewer (browser sessions, a reporting script's key) and of the
    org_admin's printed key."""
    now = datetime.now(UTC)
    viewer_key = issue_api_key(LocalApiKeyStore(ctx.cloud.tables["IdentityTable"], ctx.cloud.dynamodb),
                               key_id="demo-viewer-report-key", org_id="demo", user_id=viewer,
                               roles=[Role.viewer.value], name="weekly report script",
                               now=now - timedelta(days=PAST_DAYS + 1))

    @cache
    def token(visit: str) -> str:  # a sid shaped like a real one, the same for the same visit
        return issue_token("demo", "viewer", user=viewer, session_id=uuid.uuid5(uuid.NAMESPACE_URL, visit).hex)

    headers = {"Authorization": f"Bearer {ctx.demo.token('demo', 'viewer')}"}
    visits = plan(now.date())
    sent = send(http, visits, Credentials(viewer_key, ctx.demo.api_keys["demo"], token),
                find_site_id(http, headers, SITES[0].domain))
    ctx.say(f"demo: my usage: {len(visits)} visits of the last {PAST_DAYS} days sent ({sent} requests answered)")


def _one_export(ctx: DemoContext, http: httpx.Client, site_id: str, token: str) -> None:
    """Export the demo site's last 7 days, wait until the job has built it, and read it (a download)."""
    headers = {"Authorization": f"Bearer {token}"}
    export_id = http.post(f"/api/v1/sites/{site_id}/exports", headers=headers,
                          params={"period": "7d"}).json()["export_id"]
    deadline = time.monotonic() + EXPORT_WAIT_S
    while not ctx.stopping.is_set() and time.monotonic() < deadline:
        status = http.get(f"/api/v1/exports/{export_id}", headers=headers).json()
        if status["status"] in ("ready", "failed"):
            ctx.say(f"demo: my usage: export {export_id} {status['status']}")
            return
        ctx.stopping.wait(1)
    ctx.say(f"demo: my usage: export {export_id} not ready after {EXPORT_WAIT_S} s")
