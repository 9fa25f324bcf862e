"""The dashboard in headless chromium against the local cloud, with two days of demo traffic sealed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tally_dev.demo_traffic import SITES, load_demo_traffic
from tally_dev.template import ROOT

DEMO = SITES[0]


@dataclass
class Dashboard:
    """The local cloud's dashboard, the demo site and an API client signed in as the demo viewer."""

    url: str
    token: str
    site_id: str
    api: httpx.Client

    def sign_in_url(self, query: str = "", token: str | None = None) -> str:
        return f"{self.url}/{query}#token={token or self.token}"

    def get(self, url: str, token: str | None = None) -> Any:
        """What the API answers for exactly this URL (as the page asked for it)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.api.get(url, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def dashboard(local) -> Iterator[Dashboard]:
    """Two days of demo traffic imported (as `make dev` does, only shorter), marked and sealed.

    Yesterday and today so far in the site's time zone, like tests/e2e/web: the same lines under the
    same ids, so a second import in the same cloud adds only today's newer lines.
    """
    cloud = local.cloud
    admins = {org: local.demo.token(org, "org_admin") for org in ("demo", "rival")}
    load_demo_traffic(cloud.url, admins, days=2, now=datetime.now(UTC))
    cloud.delivery.settle()
    cloud.invoke("SealerFunction", json.loads((ROOT / "events" / "sealer.json").read_text()))
    viewer = local.demo.token("demo", "viewer")
    with httpx.Client(base_url=cloud.url, timeout=30, headers={"Authorization": f"Bearer {viewer}"}) as api:
        sites = api.get("/api/v1/sites").json()["sites"]
        site_id = next(s["site_id"] for s in sites if s["domain"] == DEMO.domain)
        yield Dashboard(cloud.url, viewer, site_id, api)
