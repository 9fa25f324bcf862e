"""A revoked session's token is refused by the authorizer, at most the stated cache time after revocation."""

from __future__ import annotations

import time

import jwt

from tally.auth.api_keys import ApiKeyVerifier
from tally.auth.authorizer import authorize
from tally.auth.revocations import RevocationCheck
from tally.auth.tokens import TokenVerifier
from tally_dev.template import load_template
from tests.unit.auth.test_api_keys_and_authorizer import SECRET, MemoryKeyStore


class MemoryRevocations:
    def __init__(self) -> None:
        self.revoked: set[tuple[str, str, str]] = set()
        self.reads = 0

    def is_revoked(self, org_id: str, user_id: str, session_id: str) -> bool:
        self.reads += 1
        return (org_id, user_id, session_id) in self.revoked


def token(sid: str, user: str = "u1") -> str:
    now = int(time.time())
    return jwt.encode({"sub": user, "org_id": "demo", "roles": ["viewer"], "sid": sid, "iss": "iss", "aud": "tally",
                       "iat": now, "exp": now + 600}, SECRET, algorithm="HS256")


def decide(bearer: str, check: RevocationCheck) -> dict:
    tokens = TokenVerifier(issuer="iss", audience="tally", signing_keys=None, local_hs256_secret=SECRET)
    result = authorize({"authorization": f"Bearer {bearer}"}, tokens=tokens, api_keys=ApiKeyVerifier(MemoryKeyStore()),
                       revocations=check)
    return result["context"]  # type: ignore[return-value]


def test_a_revoked_session_passes_at_most_the_cache_time_after_its_revocation():
    store, clock = MemoryRevocations(), [0.0]
    check = RevocationCheck(store, cache_s=10, clock=lambda: clock[0])
    assert decide(token("laptop"), check)["authenticated"] is True
    store.revoked.add(("demo", "u1", "laptop"))
    clock[0] = 9.9  # still inside the answer's cache time: the bound, not a promise of earlier refusal
    decide(token("laptop"), check)
    clock[0] = 10.0
    refused = decide(token("laptop"), check)
    assert refused == {"authenticated": False, "auth_message": "session revoked: sign in again"}
    assert decide(token("phone"), check)["authenticated"] is True  # another session of the same user
    assert decide(token("laptop", user="u2"), check)["authenticated"] is True  # the same sid of another user


def test_a_check_with_no_cache_refuses_at_once():
    store = MemoryRevocations()
    check = RevocationCheck(store, cache_s=0)
    assert decide(token("s1"), check)["authenticated"] is True
    store.revoked.add(("demo", "u1", "s1"))
    assert decide(token("s1"), check)["authenticated"] is False


def test_no_cache_in_front_of_the_authorizer_outlives_the_stated_revocation_bound():
    template = load_template()
    api = template["Resources"]["HttpApi"]["Properties"]
    authorizer = api["Auth"]["Authorizers"]["TallyAuthorizer"]
    stated = int(template["Resources"]["AuthorizerFunction"]["Properties"]["Environment"]["Variables"]
                 ["REVOCATION_CACHE_S"])
    assert 0 < stated <= 60
    # API Gateway's result cache would keep an allow for its TTL whatever the table says: it stays off.
    assert int(authorizer.get("AuthorizerResultTtlInSeconds", 0) or 0) == 0
    assert "IdentitySource" not in authorizer


def test_the_local_clock_offset_moves_the_authorizers_caches_in_the_local_stage_alone(tmp_path, monkeypatch):
    """The local cloud's offset lets a cache lifetime pass at once; a deployed stage never reads it."""
    from tally.auth.settings import auth_settings
    from tally.auth.wiring import api_key_verifier, revocation_check
    from tally.platform.clock import OffsetClock

    offset = tmp_path / "offset"
    offset.write_text("3600")
    for name, value in {"IDENTITY_TABLE": "t", "JWT_ISSUER": "iss", "JWT_AUDIENCE": "tally",
                        "LOCAL_CLOCK_FILE": str(offset)}.items():
        monkeypatch.setenv(name, value)
    built = (auth_settings, api_key_verifier, revocation_check)
    for stage, moved in (("prod", False), ("staging", False), ("", False), ("local", True)):
        monkeypatch.setenv("TALLY_STAGE", stage)
        for cached in built:
            cached.cache_clear()
        assert auth_settings().local_clock_offset_file == (str(offset) if moved else None), stage
        for clock in (api_key_verifier().clock, revocation_check().clock):
            assert isinstance(clock, OffsetClock) is moved, stage
            assert (clock is time.monotonic) is not moved, stage
    for cached in built:
        cached.cache_clear()


def test_a_revoked_session_is_refused_at_once_when_the_offset_passes_the_cache_time(tmp_path):
    store, offset = MemoryRevocations(), tmp_path / "offset"
    from tally.platform.clock import OffsetClock

    check = RevocationCheck(store, cache_s=10, clock=OffsetClock(offset, base=lambda: 500.0))
    assert decide(token("tablet"), check)["authenticated"] is True
    store.revoked.add(("demo", "u1", "tablet"))
    assert decide(token("tablet"), check)["authenticated"] is True  # the cached answer, within the bound
    offset.write_text("10")
    assert decide(token("tablet"), check) == {"authenticated": False, "auth_message": "session revoked: sign in again"}
