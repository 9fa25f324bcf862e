"""JWT verification against a real JWKS document served on loopback, and every refusal it must make."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tally.auth.identity import CredentialError
from tally.auth.tokens import JwksSigningKeys, TokenVerifier
from tally.platform.caller import Role

ISSUER, AUDIENCE = "https://auth.tally.test/", "tally"
LOCAL_SECRET = "local-secret-for-tests-0123456789abcdef"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_server(rsa_key):
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    document = json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}).encode()
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", hits
    server.shutdown()
    server.server_close()


def claims(**overrides):
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "iat": now, "exp": now + 600,
            "org_id": "demo", "roles": ["viewer"], "sid": "sess-1"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def rs256(rsa_key, **overrides):
    return jwt.encode(claims(**overrides), rsa_key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def verifier(jwks_server):
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, signing_keys=JwksSigningKeys(jwks_server[0]))


def test_an_rs256_token_signed_by_the_issuer_is_accepted(verifier, rsa_key):
    identity = verifier.verify(rs256(rsa_key))
    assert (identity.user_id, identity.org_id, identity.roles, identity.session_id) == \
        ("u1", "demo", (Role.viewer,), "sess-1")


def test_jwks_keys_are_cached_between_tokens(verifier, rsa_key, jwks_server):
    before = len(jwks_server[1])
    for _ in range(5):
        verifier.verify(rs256(rsa_key))
    assert len(jwks_server[1]) - before <= 1


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"iss": "https://evil.test/"}, "issuer"),
    ({"aud": "someone-else"}, "audience"),
    ({"org_id": None}, "org_id"),
    ({"sub": None}, "sub"),
    ({"roles": ["emperor"]}, "role"),
    ({"roles": []}, "no role"),
])
def test_tokens_with_bad_claims_are_refused(verifier, rsa_key, overrides, reason):
    with pytest.raises(CredentialError, match=reason):
        verifier.verify(rs256(rsa_key, **overrides))


def test_a_token_signed_by_another_key_is_refused(verifier):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(CredentialError):
        verifier.verify(jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "k1"}))


def _unsigned(payload: dict) -> str:
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."


def test_alg_none_is_refused(verifier):
    with pytest.raises(CredentialError, match="not accepted"):
        verifier.verify(_unsigned(claims()))


def test_hs256_signed_with_the_rsa_public_key_is_refused(verifier, rsa_key):
    """Algorithm confusion: the attacker uses the public key as an HMAC secret."""
    public_pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=")
    import hashlib
    import hmac
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, header + b"." + payload, hashlib.sha256).digest())
    token = (header + b"." + payload + b"." + signature.rstrip(b"=")).decode()
    with pytest.raises(CredentialError, match="not accepted"):
        verifier.verify(token)


def test_hs256_is_accepted_only_with_the_local_key():
    local = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, signing_keys=None, local_hs256_secret=LOCAL_SECRET)
    assert local.verify(jwt.encode(claims(), LOCAL_SECRET, algorithm="HS256")).org_id == "demo"
    with pytest.raises(CredentialError):
        local.verify(jwt.encode(claims(), "x" * 40, algorithm="HS256"))


def test_hs256_is_refused_when_no_local_key_is_configured(verifier):
    with pytest.raises(CredentialError, match="not accepted"):
        verifier.verify(jwt.encode(claims(), LOCAL_SECRET, algorithm="HS256"))


def test_garbage_is_a_malformed_token(verifier):
    with pytest.raises(CredentialError, match="malformed"):
        verifier.verify("not-a-jwt")


def test_the_local_key_is_honoured_only_in_the_local_stage(monkeypatch):
    from tally.auth.settings import AuthSettings

    base = {"identity_table": "t", "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE, "local_jwt_secret": LOCAL_SECRET}
    assert AuthSettings(**base, tally_stage="local").local_hs256_secret == LOCAL_SECRET
    assert AuthSettings(**base, tally_stage="prod").local_hs256_secret is None
    assert AuthSettings(**{**base, "local_jwt_secret": "short"}, tally_stage="local").local_hs256_secret is None
