from __future__ import annotations

import jwt
import pytest

from tally.auth.api_keys import ApiKeyVerifier, hash_api_key, issue_api_key
from tally.auth.authorizer import authorize
from tally.auth.identity import CredentialError
from tally.auth.tokens import TokenVerifier
from tally.platform.caller import Caller, Role
from tally.platform.errors import Forbidden, Unauthenticated
from tally_dev.template import load_template

SECRET = "local-secret-for-tests-0123456789abcdef"


class MemoryKeyStore:
    def __init__(self):
        self.items: dict[str, dict] = {}
        self.lookups = 0
        self.used: dict[str, object] = {}

    def find(self, key_hash):
        self.lookups += 1
        found = self.items.get(key_hash)
        return dict(found) if found is not None else None  # a copy, as a database read is

    def create(self, key_hash, record):
        self.items[key_hash] = {**record, "revoked": False}

    def listing(self, org_id):
        return [r for r in self.items.values() if r["org_id"] == org_id and not r["revoked"]]

    def revoke(self, org_id, key_id, at=None):
        for record in self.items.values():
            if (record["org_id"], record["key_id"]) == (org_id, key_id):
                record["revoked"] = True
                return True
        return False

    def touch(self, org_id, key_id, at):
        self.used[key_id] = at


def test_an_api_key_is_stored_only_as_its_sha256_hash():
    store = MemoryKeyStore()
    key = issue_api_key(store, key_id="k1", org_id="demo", user_id="u1", roles=["viewer"])
    assert key.startswith("tly_")
    assert list(store.items) == [hash_api_key(key)]
    assert key not in repr(store.items)
    assert store.items[hash_api_key(key)]["prefix"] == key[:12]


def test_a_revoked_key_is_refused_within_the_templates_cache_lifetime_and_its_use_is_noted():
    ttl = int(load_template()["Resources"]["AuthorizerFunction"]["Properties"]["Environment"]["Variables"][
        "API_KEY_CACHE_S"])
    store, clock = MemoryKeyStore(), [0.0]
    key = issue_api_key(store, key_id="k9", org_id="demo", user_id="u1", roles=["viewer"])
    verifier = ApiKeyVerifier(store, cache_s=ttl, clock=lambda: clock[0])
    assert verifier.verify(key).key_id == "k9"
    assert "k9" in store.used  # last used, noted on the fresh lookup
    clock[0] = 1.0
    assert store.revoke("demo", "k9", None)

    clock[0] = ttl - 0.5  # this container accepted it just before: still cached
    assert verifier.verify(key).key_id == "k9"
    clock[0] = ttl + 0.0  # the cache lifetime stated in template.yaml is over: refused from then on
    with pytest.raises(CredentialError, match="revoked"):
        verifier.verify(key)
    with pytest.raises(CredentialError, match="revoked"):  # a container that never saw it refuses at once
        ApiKeyVerifier(store, cache_s=ttl, clock=lambda: 1.0).verify(key)


def test_api_key_lookups_are_cached_briefly():
    store, clock = MemoryKeyStore(), [0.0]
    key = issue_api_key(store, key_id="k1", org_id="demo", user_id="u1", roles=["org_admin"])
    verifier = ApiKeyVerifier(store, cache_s=60, clock=lambda: clock[0])
    for _ in range(3):
        assert verifier.verify(key).roles == (Role.org_admin,)
    assert store.lookups == 1
    clock[0] = 61
    store.items[hash_api_key(key)]["revoked"] = True
    with pytest.raises(CredentialError, match="revoked"):
        verifier.verify(key)


@pytest.mark.parametrize("key", ["tly_unknown", "nope", "tly_" + "x" * 300])
def test_unknown_or_malformed_keys_are_refused(key):
    with pytest.raises(CredentialError):
        ApiKeyVerifier(MemoryKeyStore()).verify(key)


def decide(authorization: str | None, store: MemoryKeyStore | None = None):
    tokens = TokenVerifier(issuer="iss", audience="tally", signing_keys=None, local_hs256_secret=SECRET)
    headers = {"authorization": authorization} if authorization is not None else {}
    return authorize(headers, tokens=tokens, api_keys=ApiKeyVerifier(store or MemoryKeyStore()))


def event_with(decision):
    return {"requestContext": {"authorizer": {"lambda": decision["context"]}}}


def test_a_valid_token_becomes_a_caller_for_the_handlers():
    token = jwt.encode({"iss": "iss", "aud": "tally", "sub": "u9", "iat": 1, "exp": 4_000_000_000,
                        "org_id": "rival", "roles": ["viewer", "org_admin"], "sid": "s9"}, SECRET, algorithm="HS256")
    caller = Caller.from_event(event_with(decide(f"Bearer {token}")))
    assert (caller.user_id, caller.org_id, caller.session_id) == ("u9", "rival", "s9")
    assert caller.has(Role.org_admin) and not caller.has(Role.super_admin)


def test_an_api_key_becomes_a_caller_with_its_key_id():
    store = MemoryKeyStore()
    key = issue_api_key(store, key_id="key-7", org_id="demo", user_id="u1", roles=["viewer"])
    caller = Caller.from_event(event_with(decide(f"Bearer {key}", store)))
    assert (caller.org_id, caller.key_id) == ("demo", "key-7")


@pytest.mark.parametrize(("header", "reason"), [
    (None, "missing credentials"),
    ("Basic dXNlcjpwYXNz", "malformed Authorization"),
    ("Bearer ", "malformed Authorization"),
    ("Bearer not.a.jwt", "malformed token"),
    ("Bearer tly_nope", "unknown API key"),
])
def test_requests_without_valid_credentials_reach_handlers_only_as_anonymous(header, reason):
    decision = decide(header)
    assert decision["context"]["authenticated"] is False
    with pytest.raises(Unauthenticated, match=reason):
        Caller.from_event(event_with(decision))


def test_a_forged_authorizer_context_without_the_flag_is_not_a_caller():
    with pytest.raises(Unauthenticated):
        Caller.from_event({"requestContext": {"authorizer": {"lambda": {"org_id": "demo", "user_id": "u"}}}})


def test_roles_are_ordered():
    caller = Caller("u", "demo", frozenset({Role.viewer}))
    assert caller.require(Role.viewer) is caller
    with pytest.raises(Forbidden):
        caller.require(Role.org_admin)
    assert Caller("u", "demo", frozenset({Role.super_admin})).has(Role.org_admin)
