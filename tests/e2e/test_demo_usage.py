"""`make dev`'s "my usage" step (tally_dev/demo_usage.py) leaves the demo viewer something in every tab of
/me/stats, through the product's own paths: recorded requests, audited reads, a finished export."""

from __future__ import annotations

from tally_dev.demo_background import DemoContext
from tally_dev.demo_traffic import SITES, ensure_site
from tally_dev.demo_usage import load_my_usage


def test_the_demo_viewer_has_a_finished_export_and_its_activity(local):
    # `make dev` creates the demo site before this step runs; the shared test cloud may not have yet.
    ensure_site(local.http, SITES[0], {"Authorization": f"Bearer {local.demo.token('demo', 'org_admin')}"})
    load_my_usage(DemoContext(local.cloud, local.demo))
    headers = {"Authorization": f"Bearer {local.demo.token('demo', 'viewer')}"}

    exports = local.http.get("/api/v1/me/stats/exports", headers=headers).json()
    assert exports["last_export"]["status"] == "ready"
    assert {"export.requested", "export.download"} <= {r["action"] for r in exports["rows"]}
