"""Usage over the local cloud: the access log → the recorder → `/me/stats`, every request once."""

from __future__ import annotations

import uuid

from tally_dev.tokens import issue_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_each_authenticated_request_is_recorded_once_with_its_units_even_when_a_batch_is_replayed(local, org):
    user, sid = f"user-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    headers = bearer(issue_token(org, "viewer", user=user, session_id=sid))
    injection = local.cloud.delivery.inject(function="UsageRecorderFunction", duplicates=1)
    try:
        for _ in range(3):
            assert local.http.get("/api/v1/ops/failures", headers=headers).status_code == 200
        assert local.http.get("/api/v1/sites/nope/stats/overview", headers=headers).status_code == 404
        local.http.get("/api/v1/ops/failures")  # anonymous: no one's usage
        local.cloud.delivery.settle()
    finally:
        local.cloud.delivery.clear_faults()
    assert injection is not None
    replays = [d for d in local.cloud.delivery.deliveries("UsageRecorderFunction") if d.fault == "duplicate"]
    assert replays, "the recorder got a batch twice"

    usage = local.http.get("/api/v1/me/stats/usage", params={"days": "2"}, headers=headers).json()
    assert usage["totals"]["requests"] == 4
    assert usage["totals"]["errors"] == 1
    assert usage["totals"]["read_units"] > 0  # the failure counts' reads, from their audit rows
    routes = {e["route"]: e["requests"] for e in usage["by_endpoint"]}
    assert routes == {"GET /api/v1/ops/failures": 3, "GET /api/v1/sites/{site_id}/stats/overview": 1}

    [session] = local.http.get("/api/v1/me/stats/sessions", headers=headers).json()["sessions"]
    assert (session["id"], session["kind"], session["requests"], session["current"]) == (sid, "token", 4, True)
    rows = local.http.get("/api/v1/me/stats/queries", params={"action": "ops."}, headers=headers).json()["rows"]
    assert [r["action"] for r in rows] == ["ops.failures"] * 3
