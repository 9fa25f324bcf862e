"""The demo's live traffic through the local cloud's `POST /api/event`: realtime moves, countries come
from the CloudFront-Viewer-Country header the generator sets, and a signup is a goal with its plan."""

from __future__ import annotations

import random
import uuid
from itertools import islice

import httpx

from tally_dev.demo_live import send, visits


def test_live_visits_show_in_realtime_with_their_countries_and_goals(local):
    domain = f"live-{uuid.uuid4().hex[:8]}.example"
    org = f"org-{uuid.uuid4().hex[:8]}"
    from tally_dev.tokens import issue_token

    admin = {"Authorization": f"Bearer {issue_token(org, 'org_admin')}"}
    site = local.http.post("/api/v1/sites", json={"domain": domain}, headers=admin).raise_for_status().json()
    rng = random.Random(7)
    hits = list(islice(visits(rng, domain), 40))

    with httpx.Client(base_url=local.cloud.url, timeout=10) as client:
        assert {send(client, hit) for hit in hits} == {202}

    stats = f"/api/v1/sites/{site['site_id']}/stats"
    browsers = {hit.headers["User-Agent"] for hit in hits}
    assert local.http.get(f"{stats}/realtime", headers=admin).json()["visitors"] == len(browsers)
    countries = local.http.get(f"{stats}/breakdown", params={"period": "day", "property": "country", "limit": 100},
                               headers=admin).json()["results"]
    expected: dict[str, set[str]] = {}
    for hit in hits:
        expected.setdefault(hit.headers["CloudFront-Viewer-Country"], set()).add(hit.headers["User-Agent"])
    assert {row["value"]: row["visitors"] for row in countries} == {c: len(v) for c, v in expected.items()}
    goals = local.http.get(f"{stats}/breakdown", params={"period": "day", "property": "goal"},
                           headers=admin).json()["results"]
    signups = [hit for hit in hits if hit.body["n"] == "Signup"]
    assert [(row["value"], row["events"]) for row in goals] == ([("Signup", len(signups))] if signups else [])
