"""`/api/v1/me/*` through its handler: only the caller's own rows, pages, empty shapes, revoking a session."""

from __future__ import annotations

import pytest

from tally.auth.identity import Identity
from tally.auth.revocations import DynamoRevocations, RevocationCheck
from tally.platform.caller import Caller, Role
from tally.usage.audit import AuditTrail, DynamoAuditStore, ResourceRef
from tests.integration.usage.usage_helpers import T0, deliver, line, me

#: Same user id in another org, another user in the same org: neither may see alice's rows.
OTHERS = [("demo", "demo-bob"), ("rival", "demo-alice")]


def audit(aws, org: str, user: str, n: int, action: str = "stats.overview") -> None:
    trail = AuditTrail(DynamoAuditStore(aws["UsageTable"]))
    caller = Caller(user_id=user, org_id=org, roles=frozenset({Role.viewer}))
    for i in range(n):
        trail.record(caller, action=action, resource=ResourceRef("site", f"s{i}", "x.test"), result="ok",
                     duration_ms=3, read_units=1.5, request_id=f"{action}-{org}-{user}-{i}", at_ms=T0 + i * 1000)


def test_a_user_with_no_activity_gets_zero_count_shapes(aws):
    assert me("/api/v1/me/stats/sessions") == (200, {"sessions": [], "next_cursor": None})
    assert me("/api/v1/me/stats/queries") == (200, {"rows": [], "next_cursor": None})
    status, usage = me("/api/v1/me/stats/usage", query={"days": "7"})
    assert status == 200
    assert len(usage["daily"]) == 7 and all(d["requests"] == 0 for d in usage["daily"])
    assert (usage["by_endpoint"], usage["by_api_key"], usage["top_sessions"]) == ([], [], [])
    assert usage["totals"] == {"requests": 0, "errors": 0, "read_units": 0.0, "write_units": 0.0, "first_seen": None}


@pytest.mark.parametrize(("org", "user"), OTHERS)
def test_a_user_never_sees_another_users_rows(aws, org, user):
    deliver([line(org=org, user=user, session="theirs", at_ms=T0 + i) for i in range(3)])
    audit(aws, org, user, 3)
    deliver([line(session="mine")])
    audit(aws, "demo", "demo-alice", 1)
    sessions = me("/api/v1/me/stats/sessions")[1]["sessions"]
    assert [s["id"] for s in sessions] == ["mine"]
    rows = me("/api/v1/me/stats/queries")[1]["rows"]
    assert [r["id"] for r in rows] == ["stats.overview-demo-demo-alice-0"]
    totals = me("/api/v1/me/stats/usage", query={"days": "365"})[1]["totals"]
    assert totals["requests"] == 1
    assert me("/api/v1/me/sessions/theirs", method="DELETE")[0] == 404  # their session is not the caller's


def test_sessions_and_queries_page_by_cursor_newest_first(aws):
    deliver([line(session=f"s{i}", at_ms=T0 + i * 60_000) for i in range(5)])
    audit(aws, "demo", "demo-alice", 5, action="stats.breakdown")
    audit(aws, "demo", "demo-alice", 2, action="ops.failures")
    seen, cursor = [], None
    while True:
        status, page = me("/api/v1/me/stats/sessions", query={"limit": "2", **({"cursor": cursor} if cursor else {})})
        assert status == 200
        seen += [s["id"] for s in page["sessions"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["s4", "s3", "s2", "s1", "s0"]
    ids, cursor = [], None
    while True:
        query = {"limit": "2", "action": "stats.", **({"cursor": cursor} if cursor else {})}
        page = me("/api/v1/me/stats/queries", query=query)[1]
        ids += [r["id"] for r in page["rows"]]
        assert all(r["action"] == "stats.breakdown" for r in page["rows"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids == [f"stats.breakdown-demo-demo-alice-{i}" for i in (4, 3, 2, 1, 0)]
    assert me("/api/v1/me/stats/queries", query={"cursor": "not-ours"})[0] == 422


def test_the_current_session_is_marked_and_a_revoked_token_session_is_refused(aws):
    deliver([line(session="laptop", at_ms=T0), line(session="phone", at_ms=T0 + 1000)])
    sessions = me("/api/v1/me/stats/sessions", session="laptop")[1]["sessions"]
    assert [(s["id"], s["current"], s["client"], s["country"]) for s in sessions] == \
        [("phone", False, "Firefox / GNU/Linux", "DE"), ("laptop", True, "Firefox / GNU/Linux", "DE")]
    assert me("/api/v1/me/sessions/phone", method="DELETE", session="laptop") == (204, None)
    check = RevocationCheck(DynamoRevocations(aws["IdentityTable"]), cache_s=0)
    assert check.revoked(Identity(user_id="demo-alice", org_id="demo", roles=(Role.viewer,), session_id="phone"))
    assert not check.revoked(Identity(user_id="demo-alice", org_id="demo", roles=(Role.viewer,), session_id="laptop"))
    assert not check.revoked(Identity(user_id="demo-bob", org_id="demo", roles=(Role.viewer,), session_id="phone"))
    assert me("/api/v1/me/sessions/nope", method="DELETE")[0] == 404


def test_the_authorizer_refuses_a_token_whose_session_was_revoked(aws, monkeypatch):
    import json
    from pathlib import Path

    from tally_dev.tokens import LOCAL_JWT_SECRET, issue_token, jwt_parameters
    from tests.apigw import FakeContext
    from tests.integration.handlers import load_handler_module

    issuer, audience = jwt_parameters()
    for name, value in {"JWT_ISSUER": issuer, "JWT_AUDIENCE": audience, "TALLY_STAGE": "local",
                        "LOCAL_JWT_SECRET": LOCAL_JWT_SECRET, "REVOCATION_CACHE_S": "10"}.items():
        monkeypatch.setenv(name, value)
    event = json.loads((Path(__file__).parents[3] / "events" / "authorizer.json").read_text())
    event["headers"]["authorization"] = f"Bearer {issue_token('demo', 'viewer', user='demo-alice', session_id='tab')}"
    event["headers"]["user-agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
    authorizer = load_handler_module("AuthorizerFunction").lambda_handler
    allowed = authorizer(event, FakeContext())["context"]
    assert (allowed["authenticated"], allowed["session_id"], allowed["client"]) == (True, "tab", "Firefox / GNU/Linux")

    deliver([line(session="tab")])
    assert me("/api/v1/me/sessions/tab", method="DELETE", session="tab")[0] == 409  # the session asking: sign out
    assert me("/api/v1/me/sessions/tab", method="DELETE", session="laptop") == (204, None)  # from another one
    from tally.auth.wiring import revocation_check

    revocation_check.cache_clear()  # a container started after the revocation; the cached one: see the unit test
    assert authorizer(event, FakeContext())["context"] == {"authenticated": False,
                                                           "auth_message": "session revoked: sign in again"}
