"""The caller's export activity lists their code-analytics reads with their exports and imports: merged
newest first, paged together on (timestamp, id), and never another user's, in the org or another one."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tally.exports.activity import ActivityRow
from tally.platform.caller import Caller
from tally.usage.cursor import encode_cursor
from tests.apigw import caller_claims
from tests.integration.exports.conftest import call, my_exports, request_export, user

UNKNOWN_CODEBASE = "0" * 26


@pytest.fixture
def analytics_env(export_cloud, monkeypatch):
    """The code-analytics handler's settings, next to the exports' (its bucket is never read here)."""
    monkeypatch.setenv("ANALYTICS_BUCKET", "analytics-unused")
    from tests.conftest import _clear_settings_caches

    _clear_settings_caches()


def read_codebase(claims: dict[str, Any], codebase_id: str = UNKNOWN_CODEBASE) -> int:
    answer = call("CodeAnalyticsFunction", "GET", f"/api/v1/codebases/{codebase_id}/analytics/overview",
                  "GET /api/v1/codebases/{codebase_id}/analytics/overview", claims=claims,
                  path_parameters={"codebase_id": codebase_id})
    return answer.status


def all_rows(claims: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Every row, page by page; each page at most `limit` rows, and the walk ends."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        page = my_exports(claims, limit=str(limit), **({"cursor": cursor} if cursor else {}))
        assert page.status == 200, page.body
        assert len(page.body["rows"]) <= limit
        rows += page.body["rows"]
        if (cursor := page.body["next_cursor"]) is None:
            return rows
    raise AssertionError("the pages never ended")


def test_my_code_analytics_reads_are_listed_with_my_exports_and_no_one_elses(make_site, analytics_env):
    viewer, admin = user("demo", "viewer"), user("demo", "admin", "org_admin")
    namesake = caller_claims("rival", "org_admin", user_id="demo-viewer")  # the same user id, another org
    site = make_site("shop.test")
    export_id = request_export(site.site_id, viewer, period="7d").body["export_id"]
    assert read_codebase(viewer) == 404
    assert read_codebase(admin) == 404
    assert read_codebase(namesake) == 404

    rows = my_exports(viewer).body["rows"]
    assert sorted(r["action"] for r in rows) == ["analytics.overview", "export.requested"]
    read = next(r for r in rows if r["action"] == "analytics.overview")
    assert (read["codebase_id"], read["resource"], read["result"], read["site_id"]) == \
        (UNKNOWN_CODEBASE, UNKNOWN_CODEBASE, "not_found", None)
    export = next(r for r in rows if r["action"] == "export.requested")
    assert (export["export_id"], export["site_id"], export["result"]) == (export_id, site.site_id, "ok")

    assert [r["action"] for r in my_exports(admin).body["rows"]] == ["analytics.overview"]
    assert [r["action"] for r in my_exports(namesake).body["rows"]] == ["analytics.overview"]
    assert my_exports(user("demo", "colleague")).body == {"last_export": None, "rows": [], "next_cursor": None}
    assert my_exports(user("rival", "viewer")).body["rows"] == []


def test_exports_and_analytics_reads_page_together_newest_first(export_cloud):
    """Exports and reads interleaved in time (one pair in the same millisecond), with a run of other data
    reads between them that the list leaves out: every page size walks the same list."""
    from tally.exports.wiring import export_activity
    from tally.usage.audit import ResourceRef
    from tally.usage.wiring import audit_trail

    me = Caller(user_id="demo-viewer", org_id="demo", roles=frozenset())
    others = [Caller(user_id="demo-colleague", org_id="demo", roles=frozenset()),
              Caller(user_id="demo-viewer", org_id="rival", roles=frozenset())]
    start = int(time.time() * 1000) - 60_000
    exports = {0: "x-a", 5: "x-b", 30: "x-c", 31: "x-d"}
    reads = {1: ("r-a", "codebase"), 5: ("r-b", "codebase"), 3: ("r-c", "org"), 29: ("r-d", "codebase")}
    for offset, row_id in exports.items():
        export_activity().record("demo", me.user_id, ActivityRow(
            id=row_id, at_ms=start + offset, action="export.requested", site_id="site-1", resource="shop.test",
            export_id=f"exp_{row_id}"))
    trail = audit_trail()
    for offset, (row_id, kind) in reads.items():
        resource = ResourceRef("codebase", "cb-1", "alpha") if kind == "codebase" else ResourceRef("org", "demo")
        for caller in (me, *others):
            request_id = row_id if caller is me else f"{row_id}@{caller.org_id}/{caller.user_id}"
            assert trail.record(caller, action="analytics.ownership", resource=resource, result="ok", duration_ms=3,
                                read_units=1.5, request_id=request_id, at_ms=start + offset)
    for offset in range(6, 29):  # stats reads: not export activity
        trail.record(me, action="stats.overview", resource=ResourceRef("site", "site-1"), result="ok",
                     duration_ms=1, read_units=0.5, request_id=f"s-{offset:02d}", at_ms=start + offset)

    expected = sorted([(offset, row_id) for offset, row_id in exports.items()]
                      + [(offset, row_id) for offset, (row_id, _) in reads.items()], reverse=True)
    claims = user("demo", "viewer")
    for limit in (1, 2, 3, 100):
        assert [r["id"] for r in all_rows(claims, limit)] == [row_id for _, row_id in expected], limit

    rows = {r["id"]: r for r in all_rows(claims, 100)}
    assert (rows["r-a"]["codebase_id"], rows["r-a"]["resource"], rows["r-a"]["result"]) == ("cb-1", "alpha", "ok")
    assert (rows["r-c"]["codebase_id"], rows["r-c"]["resource"]) == (None, "demo")
    assert rows["x-a"]["export_id"] == "exp_x-a" and rows["x-a"]["codebase_id"] is None
    for other in others:
        claims_of_other = caller_claims(other.org_id, user_id=other.user_id)
        assert {r["id"] for r in all_rows(claims_of_other, 2)} == \
            {f"{row_id}@{other.org_id}/{other.user_id}" for row_id, _ in reads.values()}
    assert my_exports(claims, cursor=encode_cursor("q", start, "r-a")).status == 422  # the data-access list's
