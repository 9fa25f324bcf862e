"""Codebases, grants and starting runs through the handler: the template's table, bucket and queue in moto."""

from __future__ import annotations

import pytest

from tests.integration.code.conftest import register

CODEBASES = "/api/v1/codebases"


def test_an_org_admin_registers_reads_and_removes_a_codebase(code):
    created = register(code, "https://github.com/example/repo.git", default_branch="main")
    assert created["name"] == "example/repo"
    assert (created["org_id"], created["default_branch"], created["admins"], created["run"]) == (
        "demo", "main", [], None)
    one = f"{CODEBASES}/{created['codebase_id']}"
    assert code.call("GET", one).body == created
    assert code.call("DELETE", one).status == 204
    assert code.call("GET", one).status == 404


def test_viewers_cannot_register_or_read_and_another_org_gets_404(code):
    created = register(code)
    one = f"{CODEBASES}/{created['codebase_id']}"
    assert code.call("POST", CODEBASES, role="viewer", body={"url": "https://github.com/a/b"}).status == 403
    assert code.call("GET", one, role="viewer").status == 403
    assert code.call("GET", one, org="rival").status == 404
    assert code.call("DELETE", one, org="rival").status == 404
    assert code.call("PUT", f"{one}/admins/rival-user", org="rival").status == 404


def test_grants_are_kept_under_the_org_and_revocable(code):
    created = register(code)
    one = f"{CODEBASES}/{created['codebase_id']}"
    granted = code.call("PUT", f"{one}/admins/auth0|alice")
    assert granted.status == 200, granted.body
    assert granted.body["user_id"] == "auth0|alice"
    assert code.call("PUT", f"{one}/admins/auth0|alice").status == 200  # again: harmless
    assert code.call("GET", one).body["admins"] == ["auth0|alice"]
    assert code.call("PUT", f"{one}/admins/bob", role="viewer").status == 403
    assert code.call("DELETE", f"{one}/admins/auth0|alice").status == 204
    assert code.call("DELETE", f"{one}/admins/auth0|alice").status == 404
    assert code.call("GET", one).body["admins"] == []


def test_a_grant_to_an_unknown_codebase_or_a_malformed_user_is_refused(code):
    assert code.call("PUT", f"{CODEBASES}/01jbx6m0000000000000000000/admins/alice").status == 404
    created = register(code)
    assert code.call("PUT", f"{CODEBASES}/{created['codebase_id']}/admins/-bad user").status == 422


@pytest.mark.parametrize(("url", "rule"), [
    ("http://github.com/a/b", "only https:// URLs"),
    ("git://github.com/a/b", "only https:// URLs"),
    ("ssh://git@github.com/a/b", "only https:// URLs"),
    ("file:///etc/passwd", "only https:// URLs"),
    ("/home/me/repo", "only https:// URLs"),
    ("https://user:token@github.com/a/b", "no credentials"),
    ("https://github.com:8443/a/b", "port 443 only"),
    ("https://127.0.0.1/a/b", "loopback"),
    ("https://localhost/a/b", "local name"),
    ("https://[::1]/a/b", "loopback"),
    ("https://10.1.2.3/a/b", "private"),
    ("https://169.254.169.254/latest", "link-local"),
    ("https://100.64.0.1/a/b", "CGNAT"),
    ("https://[fd00::1]/a/b", "unique local"),
    ("https://[::ffff:10.0.0.1]/a/b", "private"),
    ("https://inside.example/a/b", "resolves to 10.0.0.7 is a private address"),
    ("https://rebind.example/a/b", "loopback"),
    ("https://nowhere.example/a/b", "does not resolve"),
])
def test_a_refused_url_is_422_naming_the_rule(code, url, rule):
    answer = code.call("POST", CODEBASES, body={"url": url})
    assert answer.status == 422, answer.body
    detail = answer.body["error"]["details"][0]
    assert (detail["field"], detail["type"]) == ("url", "url_refused")
    assert rule in detail["rule"], detail["rule"]


def test_mining_starts_one_run_and_a_second_request_gets_the_same_run(code):
    created = register(code)
    mine = f"{CODEBASES}/{created['codebase_id']}/mine"
    first = code.call("POST", mine)
    assert first.status == 202, first.body
    assert (first.body["state"], first.body["started"]) == ("queued", True)
    again = code.call("POST", mine)
    assert (again.status, again.body["run_id"], again.body["started"]) == (202, first.body["run_id"], False)
    assert code.messages() == [{"org_id": "demo", "codebase_id": created["codebase_id"],
                                "run_id": first.body["run_id"], "step": 1}]
    status = code.call("GET", f"{CODEBASES}/{created['codebase_id']}/analytics/status")
    assert (status.status, status.body["state"], status.body["run_id"]) == (200, "queued", first.body["run_id"])


def test_a_codebase_admin_may_mine_their_codebase_only(code):
    mine_ = register(code)
    other = register(code, "https://github.com/example/other")
    code.call("PUT", f"{CODEBASES}/{mine_['codebase_id']}/admins/carol")
    as_carol = {"role": "viewer", "user": "carol"}
    assert code.call("POST", f"{CODEBASES}/{mine_['codebase_id']}/mine", **as_carol).status == 202
    assert code.call("POST", f"{CODEBASES}/{other['codebase_id']}/mine", **as_carol).status == 403
    assert code.call("POST", f"{CODEBASES}/{mine_['codebase_id']}/mine", org="rival", user="carol").status == 404
