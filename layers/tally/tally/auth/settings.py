"""Configuration of the authorizer function."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings

LOCAL_STAGE = "local"


class AuthSettings(BaseSettings):
    identity_table: str
    jwt_issuer: str
    jwt_audience: str
    #: The issuer's JWKS document; RS256 tokens are verified against its keys (cached).
    jwks_url: str = ""
    #: `local` only in the local cloud: the one place where HS256 with `local_jwt_secret` is accepted.
    tally_stage: str = "prod"
    local_jwt_secret: str = ""
    api_key_cache_s: int = 60
    #: How long the authorizer keeps a session's revocation answer: a revoked token passes at most this long.
    revocation_cache_s: int = 10
    #: The local cloud's clock offset file (`tally.platform.clock`): honoured in the `local` stage alone.
    local_clock_file: str = ""

    @property
    def local_hs256_secret(self) -> str | None:
        if self.tally_stage == LOCAL_STAGE and len(self.local_jwt_secret) >= 32:
            return self.local_jwt_secret
        return None

    @property
    def local_clock_offset_file(self) -> str | None:
        """The file whose seconds move the caches' clock forward; never outside the local cloud."""
        if self.tally_stage == LOCAL_STAGE and self.local_clock_file:
            return self.local_clock_file
        return None


@cache
def auth_settings() -> AuthSettings:
    return AuthSettings()  # filled from the environment

