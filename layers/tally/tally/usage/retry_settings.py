"""Configuration of the usage re-drive job (UsageRetryFunction)."""

from __future__ import annotations

from functools import cache

from tally.usage.settings import UsageSettings


class UsageRetrySettings(UsageSettings):
    usage_dlq_url: str
    retry_max_messages: int = 100
    job_reserve_ms: int = 20_000


@cache
def usage_retry_settings() -> UsageRetrySettings:
    return UsageRetrySettings()  # filled from the environment
