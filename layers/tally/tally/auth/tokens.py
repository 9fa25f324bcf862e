"""JWT verification. RS256 against the issuer's JWKS (keys cached); HS256 only with the local key.

The algorithm list passed to PyJWT is chosen from our configuration, never from the token, so
`alg: none` and HS/RS confusion (an HS256 token "signed" with the RSA public key) are refused.
"""

from __future__ import annotations

from typing import Any, Protocol

import jwt

from tally.auth.identity import CredentialError, Identity, parse_roles

REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]
_LEEWAY_S = 30


class SigningKeys(Protocol):
    def key_for(self, token: str) -> Any:
        """The public key that should have signed `token` (by its `kid`)."""
        ...


class JwksSigningKeys:
    """Keys from a JWKS URL; PyJWKClient caches the document and each key."""

    def __init__(self, jwks_url: str, lifespan_s: int = 300) -> None:
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=lifespan_s, timeout=5)

    def key_for(self, token: str) -> Any:
        try:
            return self._client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as error:
            raise CredentialError(f"no trusted signing key for this token: {error}") from error


class TokenVerifier:
    def __init__(self, *, issuer: str, audience: str, signing_keys: SigningKeys | None,
                 local_hs256_secret: str | None = None) -> None:
        self.issuer = issuer
        self.audience = audience
        self.signing_keys = signing_keys
        self.local_hs256_secret = local_hs256_secret

    def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise CredentialError("malformed token") from error
        alg = header.get("alg")
        if alg == "RS256" and self.signing_keys is not None:
            key, algorithms = self.signing_keys.key_for(token), ["RS256"]
        elif alg == "HS256" and self.local_hs256_secret:
            key, algorithms = self.local_hs256_secret, ["HS256"]
        else:
            raise CredentialError(f"token algorithm {alg!r} is not accepted")
        try:
            claims = jwt.decode(token, key, algorithms=algorithms, audience=self.audience, issuer=self.issuer,
                                leeway=_LEEWAY_S, options={"require": REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError as error:
            raise CredentialError("token expired") from error
        except jwt.InvalidAudienceError as error:
            raise CredentialError("token audience is not Tally") from error
        except jwt.InvalidIssuerError as error:
            raise CredentialError("token issuer is not trusted") from error
        except jwt.PyJWTError as error:
            raise CredentialError(f"invalid token: {error}") from error
        org_id = claims.get("org_id")
        if not isinstance(org_id, str) or not org_id:
            raise CredentialError("token carries no org_id")
        return Identity(
            user_id=str(claims["sub"]),
            org_id=org_id,
            roles=parse_roles(claims.get("roles")),
            session_id=str(claims.get("sid") or claims.get("jti") or ""),
        )
