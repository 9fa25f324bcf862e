"""Configuration of the code-analytics functions, read from the environment on first use (settings only)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings

LOCAL_STAGE = "local"


class CodeSettings(BaseSettings):
    code_table: str
    analytics_bucket: str
    #: the queue a mining run's steps travel on (empty: this function starts no run)
    mining_queue_url: str = ""
    #: `local` (the local cloud only) also accepts a repository's local path
    tally_stage: str = "prod"
    #: the salt of the identity hashes in the org files (a secret in production)
    identity_salt: str = "tally"
    #: the largest export object read back (bytes); a larger one is refused, never parsed
    max_export_bytes: int = 16 * 1024 * 1024
    #: seconds a run's lease lasts without renewal (longer than one invocation of the miner)
    lease_seconds: int = 960

    @property
    def local(self) -> bool:
        return self.tally_stage == LOCAL_STAGE


@cache
def code_settings() -> CodeSettings:
    return CodeSettings()  # filled from the environment
