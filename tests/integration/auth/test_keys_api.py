"""The API keys API through its handler (real v2 events, the template's identity table in moto), and
the authorizer refusing a revoked key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tally.auth.api_keys import ApiKeyVerifier, DynamoApiKeyStore
from tally.auth.authorizer import authorize
from tally.auth.identity import CredentialError
from tally.auth.tokens import TokenVerifier
from tests.apigw import ANONYMOUS, FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module

KEYS = "/api/v1/keys"


def call(method: str, key_id: str | None = None, *, org: str = "demo", role: str = "org_admin",
         body: Any = None, claims: dict | None = None) -> tuple[int, Any]:
    path = f"{KEYS}/{key_id}" if key_id else KEYS
    route = f"{method} {KEYS}/{{key_id}}" if key_id else f"{method} {KEYS}"
    event = http_event(method, path, route=route, body=None if body is None else json.dumps(body),
                       claims=claims if claims is not None else caller_claims(org, role),
                       path_parameters={"key_id": key_id} if key_id else None)
    response = load_handler_module("KeysFunction").lambda_handler(event, FakeContext())
    text = response.get("body") or ""
    return response["statusCode"], json.loads(text) if text else None


def test_an_org_admin_creates_a_key_sees_it_once_lists_it_without_the_key_and_revokes_it(aws):
    status, created = call("POST", body={"name": "CI export"})
    assert status == 201
    key = created["key"]
    assert key.startswith("tly_") and created["prefix"] == key[:12] and created["role"] == "viewer"

    verifier = ApiKeyVerifier(DynamoApiKeyStore(aws["IdentityTable"]))
    identity = verifier.verify(key)
    assert (identity.org_id, identity.key_id) == ("demo", created["key_id"])
    status, listed = call("GET")
    assert status == 200
    [entry] = [k for k in listed["keys"] if k["key_id"] == created["key_id"]]
    assert set(entry) == {"key_id", "name", "prefix", "role", "created_by", "created_at", "last_used_at"}
    assert entry["name"] == "CI export" and entry["prefix"] == created["prefix"]
    assert entry["last_used_at"] is not None  # the verification above
    assert key not in json.dumps(listed)

    assert call("DELETE", created["key_id"]) == (204, None)
    assert created["key_id"] not in [k["key_id"] for k in call("GET")[1]["keys"]]
    with pytest.raises(CredentialError, match="revoked"):  # a fresh lookup refuses it at once
        ApiKeyVerifier(DynamoApiKeyStore(aws["IdentityTable"])).verify(key)
    tokens = TokenVerifier(issuer="iss", audience="aud", signing_keys=None)
    decision = authorize({"authorization": f"Bearer {key}"}, tokens=tokens,
                         api_keys=ApiKeyVerifier(DynamoApiKeyStore(aws["IdentityTable"])))
    assert decision["context"] == {"authenticated": False, "auth_message": "API key revoked"}
    assert call("DELETE", created["key_id"])[0] == 404  # already revoked


def test_viewers_and_anonymous_callers_cannot_touch_keys_and_an_admin_key_needs_an_admin(aws):
    assert call("GET", role="viewer")[0] == 403
    assert call("POST", role="viewer", body={"name": "x"})[0] == 403
    assert call("GET", claims=ANONYMOUS)[0] == 401
    status, created = call("POST", body={"name": "deploys", "role": "org_admin"})
    assert (status, created["role"]) == (201, "org_admin")
    assert call("POST", body={"name": "staff", "role": "super_admin"})[0] == 422
    assert call("POST", body={"name": ""})[0] == 422


def test_another_organisations_keys_are_invisible_and_cannot_be_revoked(aws):
    _, mine = call("POST", org="demo", body={"name": "mine"})

    assert mine["key_id"] not in [k["key_id"] for k in call("GET", org="rival")[1]["keys"]]
    assert call("DELETE", mine["key_id"], org="rival")[0] == 404
    assert mine["key_id"] in [k["key_id"] for k in call("GET", org="demo")[1]["keys"]]
