"""The authorizer's verifiers, built once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.auth.api_keys import ApiKeyVerifier, DynamoApiKeyStore
from tally.auth.revocations import DynamoRevocations, RevocationCheck
from tally.auth.settings import auth_settings
from tally.auth.tokens import JwksSigningKeys, TokenVerifier
from tally.platform.clock import monotonic_clock


@cache
def token_verifier() -> TokenVerifier:
    settings = auth_settings()
    return TokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        signing_keys=JwksSigningKeys(settings.jwks_url) if settings.jwks_url else None,
        local_hs256_secret=settings.local_hs256_secret,
    )


@cache
def api_key_verifier() -> ApiKeyVerifier:
    settings = auth_settings()
    return ApiKeyVerifier(DynamoApiKeyStore(settings.identity_table), cache_s=settings.api_key_cache_s,
                          clock=monotonic_clock(settings.local_clock_offset_file))


@cache
def revocation_check() -> RevocationCheck:
    settings = auth_settings()
    return RevocationCheck(DynamoRevocations(settings.identity_table), cache_s=settings.revocation_cache_s,
                           clock=monotonic_clock(settings.local_clock_offset_file))
