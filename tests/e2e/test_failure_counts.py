"""GET /api/v1/ops/failures over real HTTP on the local cloud: auth, validation, tenancy, the error shape."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tally.ops.kinds import OpsKind
from tally_dev.tokens import issue_token

FAILURES = "/api/v1/ops/failures"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], list)
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def test_without_a_token_the_answer_is_401_in_the_error_shape(local):
    response = local.http.get(FAILURES)

    assert_error_shape(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_demo_viewer_gets_the_count_and_its_breakdown(local):
    response = local.http.get(FAILURES, params={"since": "24h"}, headers=bearer(local.demo.token("demo", "viewer")))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == sum(body["by_kind"].values()) >= local.demo.failures["demo"]
    assert set(body["by_kind"]) == {k.value for k in OpsKind}
    assert (body["since"], body["success"], body["kind"]) == ("24h", False, None)


@pytest.mark.parametrize("query", [{"since": "8d"}, {"since": "0h"}, {"since": "1w"}, {"success": "true"},
                                   {"kind": "bogus"}])
def test_invalid_parameters_are_422_in_the_error_shape(local, query):
    response = local.http.get(FAILURES, params=query, headers=bearer(local.demo.token("demo", "viewer")))

    error = assert_error_shape(response, 422, "invalid_input")
    assert error["details"]


def test_each_org_sees_only_its_own_failures(local, org):
    rival = f"{org}-rival"
    local.record_failures(org, [OpsKind.job, OpsKind.job, OpsKind.email])
    local.record_failures(rival, [OpsKind.export])

    mine = local.http.get(FAILURES, headers=bearer(issue_token(org, "viewer"))).json()
    theirs = local.http.get(FAILURES, headers=bearer(issue_token(rival, "viewer"))).json()

    assert (mine["count"], mine["by_kind"]["job"], mine["by_kind"]["email"], mine["by_kind"]["export"]) == (3, 2, 1, 0)
    assert (theirs["count"], theirs["by_kind"]["export"], theirs["by_kind"]["job"]) == (1, 1, 0)


def test_the_org_comes_from_the_credential_never_from_the_request(local, org):
    local.record_failures(org, [OpsKind.ingest])
    token = issue_token(f"{org}-other", "viewer")

    response = local.http.get(FAILURES, params={"org_id": org}, headers={**bearer(token), "X-Org-Id": org})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_the_rival_demo_org_cannot_read_demos_failures(local):
    demo = local.http.get(FAILURES, params={"since": "7d"}, headers=bearer(local.demo.token("demo", "viewer"))).json()
    rival = local.http.get(FAILURES, params={"since": "7d"}, headers=bearer(local.demo.token("rival", "viewer"))).json()

    assert demo["by_kind"]["email"] >= 1 and rival["by_kind"]["email"] == 0  # only demo recorded an email failure
    assert rival["by_kind"]["aggregation"] >= 1 and demo["by_kind"]["aggregation"] == 0


def test_an_api_key_authenticates(local):
    response = local.http.get(FAILURES, params={"kind": "ingest", "since": "24h"},
                              headers=bearer(local.demo.api_keys["demo"]))

    assert response.status_code == 200
    assert response.json()["kind"] == "ingest"
    assert response.json()["count"] >= 2


def _unsigned(claims: dict) -> str:
    def part(document: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize("credential", [
    pytest.param(lambda: issue_token("demo", "viewer", ttl_s=-3600), id="expired"),
    pytest.param(lambda: issue_token("demo", "viewer", secret="a-forger-s-own-key-of-at-least-32-bytes"), id="forged"),
    pytest.param(lambda: issue_token("demo", "viewer", issuer="https://evil.example/"), id="wrong-issuer"),
    pytest.param(lambda: issue_token("demo", "viewer", audience="someone-else"), id="wrong-audience"),
    pytest.param(lambda: _unsigned({"iss": "https://auth.example.com/", "aud": "tally", "sub": "x", "org_id": "demo",
                                    "roles": ["viewer"], "iat": int(time.time()), "exp": int(time.time()) + 600}),
                 id="alg-none"),
    pytest.param(lambda: "tly_not-a-real-key", id="unknown-api-key"),
    pytest.param(lambda: "garbage", id="garbage"),
])
def test_untrusted_credentials_are_401_in_the_error_shape(local, credential):
    response = local.http.get(FAILURES, headers=bearer(credential()))

    assert_error_shape(response, 401, "unauthenticated")


def test_an_unknown_route_is_404_in_the_error_shape(local):
    response = local.http.get("/api/v1/no/such/thing", headers=bearer(local.demo.token("demo", "viewer")))

    assert_error_shape(response, 404, "not_found")


def test_a_wrong_method_on_a_known_path_is_405_with_allow(local):
    response = local.http.delete(FAILURES, headers=bearer(local.demo.token("demo", "viewer")))

    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


def test_a_cors_preflight_is_204_with_the_templates_cors_headers(local):
    response = local.http.options(FAILURES, headers={"Origin": "https://dashboard.example",
                                                     "Access-Control-Request-Method": "GET",
                                                     "Access-Control-Request-Headers": "authorization"})

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"].split(",")
    assert "authorization" in response.headers["access-control-allow-headers"].split(",")
    assert response.headers["access-control-max-age"] == "600"


def test_a_cross_origin_answer_exposes_the_templates_headers(local):
    response = local.http.get(FAILURES, headers={"Origin": "https://dashboard.example"})

    assert response.headers["access-control-allow-origin"] == "*"
    assert "retry-after" in response.headers["access-control-expose-headers"].split(",")


def test_every_answer_carries_a_fresh_api_gateway_request_id(local):
    ids = {local.http.get(FAILURES).headers["apigw-requestid"] for _ in range(3)}

    assert len(ids) == 3


def test_an_oversize_body_is_413_in_the_error_shape(local):
    response = local.http.post("/api/v1/anything", content=b"x" * 100_000, headers={"Content-Type": "application/json"})

    assert_error_shape(response, 413, "payload_too_large")
