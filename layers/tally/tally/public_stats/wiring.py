"""The production objects of the public stats function, built once per container on first use.

`build` takes every seam (clients, clock, sleeper, randomness, failure sink) so tests and the bench
assemble the same objects against moto with injected time; `runtime()` is what the handler uses.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.aws import dynamodb_fail_fast_client
from tally.public_stats.cache import DynamoStatsCache
from tally.public_stats.lock import DynamoLeaseLock
from tally.public_stats.ratelimit import DynamoDailySalts, DynamoRateCounter, FailureSink, RateLimiter
from tally.public_stats.service import CachePolicy, PublicStatsService
from tally.public_stats.settings import PublicStatsSettings, public_stats_settings
from tally.totals.store import DynamoTotals, TotalsReader

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def record_store_failure(kind: OpsKind, operation: str, error: BaseException) -> None:
    record_failure(kind, operation, error)


@dataclass(frozen=True)
class PublicStatsRuntime:
    settings: PublicStatsSettings
    limiter: RateLimiter
    service: PublicStatsService


def build(
    settings: PublicStatsSettings,
    *,
    client: DynamoDBClient | None = None,
    cache_client: DynamoDBClient | None = None,
    totals_client: DynamoDBClient | None = None,
    rate_limit_client: DynamoDBClient | None = None,
    totals: TotalsReader | None = None,
    clock: Callable[[], float] = time.time,
    sleeper: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    on_failure: FailureSink | None = record_store_failure,
) -> PublicStatsRuntime:
    """Assemble limiter and service; per-store clients default to `client` (itself the fail-fast client)."""
    base = client or dynamodb_fail_fast_client()
    table = settings.table
    cache_client = cache_client or base
    service = PublicStatsService(
        cache=DynamoStatsCache(table, cache_client),
        lock=DynamoLeaseLock(table, cache_client, lease_s=settings.lock_lease_s),
        totals=totals or DynamoTotals(table, totals_client or base),
        policy=CachePolicy(ttl_s=settings.cache_ttl_s, stale_ttl_s=settings.stale_ttl_s,
                           lock_wait_s=settings.lock_wait_s, retry_after_s=settings.retry_after_s),
        clock=clock, sleeper=sleeper, rng=rng, on_failure=on_failure,
    )
    rate_client = rate_limit_client or base
    limiter = RateLimiter(DynamoRateCounter(table, rate_client), DynamoDailySalts(table, rate_client),
                          settings.rate_limit_per_minute, clock=clock, on_failure=on_failure)
    return PublicStatsRuntime(settings=settings, limiter=limiter, service=service)


@cache
def runtime() -> PublicStatsRuntime:
    return build(public_stats_settings())
