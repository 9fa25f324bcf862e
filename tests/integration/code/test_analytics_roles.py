"""The seven read endpoints under every role: org admin (all), codebase admin (theirs; the summary over
those), a viewer without a grant (403), another org (404, and none of this org's data); emails only in
ownership."""

from __future__ import annotations

import json

import pytest

from tally.code.model import Codebase
from tally.code.publish import publish
from tally.code.wiring import code_store, export_store
from tests.integration.code.conftest import register
from tests.integration.code.exports_sample import sample_exports

ONE = ("overview", "activity", "ownership", "branches", "status")


@pytest.fixture
def org(code):
    """Two mined codebases of `demo`: alice administers `a`, bob administers `b`."""
    a, b = register(code, name="alpha"), register(code, "https://github.com/example/beta", name="beta")
    for created in (a, b):
        codebase = Codebase.model_validate(created)
        publish(export_store(), codebase, sample_exports(codebase.codebase_id, codebase.name), salt="s")
        code.call("POST", f"/api/v1/codebases/{codebase.codebase_id}/mine")  # writes a status
    code.call("PUT", f"/api/v1/codebases/{a['codebase_id']}/admins/alice")
    code.call("PUT", f"/api/v1/codebases/{b['codebase_id']}/admins/bob")
    return code, a["codebase_id"], b["codebase_id"]


def read(code, path: str, **who):
    return code.call("GET", path, **who)


def test_an_org_admin_reads_everything(org):
    code, a, b = org
    for codebase in (a, b):
        for name in ONE:
            assert read(code, f"/api/v1/codebases/{codebase}/analytics/{name}").status == 200, name
    summary = read(code, "/api/v1/analytics/summary").body
    assert (summary["codebases"], summary["total_commits"], summary["scope"]) == (2, 84, "org")
    assert {c["name"] for c in read(code, "/api/v1/analytics/codebases").body["codebases"]} == {"alpha", "beta"}


def test_a_codebase_admin_reads_their_codebase_and_a_summary_over_it_only(org):
    code, a, b = org
    alice = {"role": "viewer", "user": "alice"}
    for name in ONE:
        assert read(code, f"/api/v1/codebases/{a}/analytics/{name}", **alice).status == 200, name
        assert read(code, f"/api/v1/codebases/{b}/analytics/{name}", **alice).status == 403, name
    summary = read(code, "/api/v1/analytics/summary", **alice).body
    assert (summary["codebases"], summary["total_commits"], summary["scope"]) == (1, 42, "administered")
    assert [c["name"] for c in read(code, "/api/v1/analytics/codebases", **alice).body["codebases"]] == ["alpha"]


def test_a_viewer_without_a_grant_is_refused_everywhere(org):
    code, a, _ = org
    viewer = {"role": "viewer", "user": "vera"}
    assert read(code, "/api/v1/analytics/summary", **viewer).status == 403
    assert read(code, "/api/v1/analytics/codebases", **viewer).status == 403
    for name in ONE:
        assert read(code, f"/api/v1/codebases/{a}/analytics/{name}", **viewer).status == 403


def test_another_org_finds_nothing_of_this_one(org):
    code, a, _ = org
    for who in ({"org": "rival"}, {"org": "rival", "role": "viewer", "user": "alice"}):
        for name in ONE:
            assert read(code, f"/api/v1/codebases/{a}/analytics/{name}", **who).status == 404, (who, name)
    rival = read(code, "/api/v1/analytics/summary", org="rival").body
    assert (rival["org_id"], rival["codebases"], rival["top_contributors"]) == ("rival", 0, [])
    assert read(code, "/api/v1/analytics/codebases", org="rival").body["codebases"] == []
    assert read(code, "/api/v1/analytics/summary", org="rival", role="viewer", user="alice").status == 403


def test_emails_appear_only_in_ownership(org):
    code, a, _ = org
    for who in ({}, {"role": "viewer", "user": "alice"}):
        ownership = read(code, f"/api/v1/codebases/{a}/analytics/ownership", **who).body
        assert ownership["contributors"][0]["email"] == "dev0@example.com"
        for path in ("/api/v1/analytics/summary", "/api/v1/analytics/codebases",
                     *(f"/api/v1/codebases/{a}/analytics/{n}" for n in ONE if n != "ownership")):
            assert "@example.com" not in json.dumps(read(code, path, **who).body), path
        top = read(code, "/api/v1/analytics/summary", **who).body["top_contributors"][0]
        assert (top["name"], len(top["identity_hash"])) == ("Dev 0", 20)


def test_contributors_and_branches_page_with_an_opaque_cursor(org):
    code, a, _ = org
    seen, cursor = [], None
    while True:
        page = read(code, f"/api/v1/codebases/{a}/analytics/ownership",
                    query={"limit": "2", **({"cursor": cursor} if cursor else {})}).body
        seen += [c["name"] for c in page["contributors"]]
        assert page["total_contributors"] == 5
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Dev {i}" for i in range(5)]
    branches = read(code, f"/api/v1/codebases/{a}/analytics/branches", query={"limit": "2"}).body
    assert [b["name"] for b in branches["branches"]] == ["main", "dev"]
    rest = read(code, f"/api/v1/codebases/{a}/analytics/branches",
                query={"cursor": branches["next_cursor"]}).body
    assert ([b["name"] for b in rest["branches"]], rest["next_cursor"]) == (["topic"], None)
    assert read(code, f"/api/v1/codebases/{a}/analytics/branches", query={"cursor": "bogus"}).status == 422


def test_removing_a_codebase_removes_its_exports_and_its_rows_in_the_org_files(org):
    code, a, b = org
    assert code.call("DELETE", f"/api/v1/codebases/{a}").status == 204
    assert [c["codebase_id"] for c in read(code, "/api/v1/analytics/codebases").body["codebases"]] == [b]
    assert read(code, "/api/v1/analytics/summary").body["codebases"] == 1
    import boto3

    left = boto3.client("s3").list_objects_v2(Bucket=code.bucket, Prefix=f"orgs/demo/analytics/{a}/")
    assert left.get("KeyCount", 0) == 0
    assert code_store().get("demo", a) is None


def test_every_read_is_audited_with_its_codebase_and_result(org, aws):
    from tests.integration.usage.test_audit import audit_rows

    code, a, b = org
    alice = {"role": "viewer", "user": "alice"}
    read(code, f"/api/v1/codebases/{a}/analytics/overview", **alice)
    read(code, f"/api/v1/codebases/{b}/analytics/branches", **alice)
    read(code, "/api/v1/analytics/summary", **alice)
    rows = {row["action"]: row for row in audit_rows(aws, "demo", "alice")}
    assert rows["analytics.overview"]["resource"] == {"kind": "codebase", "id": a, "name": "alpha"}
    assert rows["analytics.overview"]["result"] == "ok"
    assert (rows["analytics.branches"]["resource"]["id"], rows["analytics.branches"]["result"]) == (b, "forbidden")
    assert rows["analytics.summary"]["resource"] == {"kind": "org", "id": "demo", "name": None}
