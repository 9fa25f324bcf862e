"""The demo's code analytics: Tally's own repository (this checkout, a local path, which only the
local cloud accepts), registered for the `demo` org under its fixed id by `tally_dev.demo_objects`;
once `tally dev` is ready, its viewer is made the codebase's admin and a mining run is started,
through the API (the miner works in the background; `/code` shows the run's progress, then the
figures)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from tally_dev.demo_ids import DEMO_CODEBASE_ID, DEMO_ORG
from tally_dev.template import ROOT

if TYPE_CHECKING:
    from tally_dev.demo_background import DemoContext

ORG = DEMO_ORG


def mine_demo_repository(ctx: DemoContext) -> None:
    admin = {"Authorization": f"Bearer {ctx.demo.token(ORG, 'org_admin')}"}
    viewer = ctx.demo.users[(ORG, "viewer")]
    with httpx.Client(base_url=ctx.cloud.url, timeout=30, headers=admin) as client:
        codebase_id = DEMO_CODEBASE_ID
        client.put(f"/api/v1/codebases/{codebase_id}/admins/{viewer}").raise_for_status()
        run = client.post(f"/api/v1/codebases/{codebase_id}/mine")
        run.raise_for_status()
    ctx.say(f"demo: mining {ROOT} as codebase {codebase_id} (run {run.json()['run_id']}); "
            f"{viewer} administers it")
