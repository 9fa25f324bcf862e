"""The demo's "my usage": requests, sessions, data access and one finished export for the demo users.

Run after `tally dev` is ready (a background step of `tally_dev/demo_background.py`), so it costs the
ready time nothing. Everything goes through the product's own paths: real HTTP requests to the local
cloud (recorded by the usage recorder from the access log, audited by the handlers that read), one
export built by the export job from the export queue and read back (a download). The demo viewer's
dashboard token is one of the sessions, so `/me/stats` opened from the printed link has a current
session with requests in it.
"""

from __future__ import annotations

import time

import httpx

from tally_dev.demo_background import DemoContext
from tally_dev.demo_traffic import SITES, find_site_id
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
