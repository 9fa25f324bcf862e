"""Configuration of the public stats function, read from its environment on first use.

Each field reads the variable named by its alias; every one is listed in the function's
`Environment` in template.yaml (a test compares the two).
"""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PublicStatsSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, populate_by_name=True)

    table: str = Field(alias="PUBLIC_STATS_TABLE",
                       description="DynamoDB table holding totals, the cache, the lock and rate-limit counters.")
    cache_ttl_s: int = Field(3600, gt=0, alias="PUBLIC_STATS_CACHE_TTL_S",
                             description="How long a computed answer is fresh.")
    stale_ttl_s: int = Field(86_400, ge=0, alias="PUBLIC_STATS_STALE_TTL_S",
                             description="How long an expired answer is kept to be served stale.")
    stale_while_revalidate_s: int = Field(600, ge=0, alias="PUBLIC_STATS_STALE_WHILE_REVALIDATE_S",
                                          description="`stale-while-revalidate` of Cache-Control.")
    lock_lease_s: float = Field(10.0, gt=0, alias="PUBLIC_STATS_LOCK_LEASE_S",
                                description="Lease of the recompute lock; a crashed holder frees it after this.")
    lock_wait_s: float = Field(1.0, ge=0, alias="PUBLIC_STATS_LOCK_WAIT_S",
                               description="How long a request that lost the lock polls for the new value.")
    rate_limit_per_minute: int = Field(10, gt=0, alias="PUBLIC_STATS_RATE_LIMIT_PER_MINUTE",
                                       description="Requests one client IP may make in one minute.")
    retry_after_s: int = Field(30, gt=0, alias="PUBLIC_STATS_RETRY_AFTER_S",
                               description="`Retry-After` of a 503 when nothing can be computed.")


@cache
def public_stats_settings() -> PublicStatsSettings:
    return PublicStatsSettings()  # filled from the environment
