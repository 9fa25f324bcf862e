"""The read path of the public stats: cache first, one recompute at a time, and never a 500.

- A fresh value is served as is, unless XFetch elects this request to refresh it early.
- An expired (or elected) value is recomputed by the one request that takes the lock; it re-reads
  the cache first (someone may have just refreshed it) and writes `version + 1` conditionally.
- Requests that lose the lock keep serving a still-fresh value, or poll briefly for the new one and
  then serve the stale value rather than recompute (stale-while-revalidate).
- When the cache store fails, the answer comes from this container's last known value if it has
  one, else it is computed; when the figures cannot be computed and nothing is cached, 503.
Every store failure is reported to the failure sink (the failure ledger in production).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from aws_lambda_powertools import Logger

from tally.ops.kinds import OpsKind
from tally.platform.errors import RateLimited, ServiceUnavailable
from tally.public_stats.cache import DEFAULT_BETA, CachedStats, StatsCache
from tally.public_stats.dynamo import STORE_ERRORS
from tally.public_stats.figures import figures_from
from tally.public_stats.lock import Lease, RecomputeLock
from tally.public_stats.ratelimit import FailureSink, RateDecision, RateLimiter
from tally.totals.store import TotalsReader

logger = Logger(child=True)

#: How often a request that lost the lock looks for the new value.
POLL_INTERVAL_S = 0.1


class Source(StrEnum):
    """Where an answer came from."""

    cache = "cache"  # a fresh cached value (or one refreshed by another request while we waited)
    recomputed = "recomputed"  # this request held the lock and recomputed
    stale = "stale"  # an expired value, served because another request is (or no one can be) refreshing
    memory = "memory"  # this container's last known value, served while the cache store fails
    uncached = "uncached"  # computed without the cache (nothing cached and the cache unusable)


@dataclass(frozen=True)
class CachePolicy:
    ttl_s: float = 3600
    stale_ttl_s: float = 86_400
    lock_wait_s: float = 1.0
    poll_interval_s: float = POLL_INTERVAL_S
    beta: float = DEFAULT_BETA
    retry_after_s: int = 30

    @property
    def poll_attempts(self) -> int:
        return math.ceil(self.lock_wait_s / self.poll_interval_s) if self.poll_interval_s > 0 else 0


@dataclass(frozen=True)
class Served:
    entry: CachedStats
    source: Source
    max_age_s: int  # how long this answer stays fresh from now (0 when stale)


class _CacheDown:
    """Marker: the cache store failed, so "nothing cached" is unknown rather than true."""


_CACHE_DOWN = _CacheDown()


class PublicStatsService:
    def __init__(
        self,
        *,
        cache: StatsCache,
        lock: RecomputeLock,
        totals: TotalsReader,
        policy: CachePolicy,
        clock: Callable[[], float] = time.time,
        sleeper: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        on_failure: FailureSink | None = None,
    ) -> None:
        self.cache = cache
        self.lock = lock
        self.totals = totals
        self.policy = policy
        self.clock = clock
        self.sleeper = sleeper
        self.rng = rng
        self.on_failure = on_failure
        self._last: CachedStats | None = None  # this container's last known value
        self._last_guard = threading.Lock()

    def current(self) -> Served:
        now = self.clock()
        seen = self._read(consistent=False)
        if isinstance(seen, _CacheDown):
            return self._without_cache(now)
        if seen is not None and not self._usable(seen, now):
            seen = None  # older than the stale window: as good as deleted
        if seen is not None and not seen.recompute_due(now, 1.0 - self.rng(), self.policy.beta):
            return self._serve(seen, Source.cache, now)
        try:
            lease = self.lock.acquire(now)
        except STORE_ERRORS as error:
            self._report("public_stats.lock.acquire", error)
            if seen is not None:
                return self._serve(seen, Source.cache if seen.is_fresh(now) else Source.stale, now)
            return self._serve(self._compute(0, stale=None), Source.uncached, self.clock())
        if lease is not None:
            try:
                return self._refresh(seen)
            finally:
                self._release(lease)
        if seen is not None and seen.is_fresh(now):
            return self._serve(seen, Source.cache, now)  # an early refresh is under way elsewhere
        return self._wait_for_refresh(seen)

    # -- the lock holder ------------------------------------------------------------------------
    def _refresh(self, seen: CachedStats | None) -> Served:
        started = self.clock()
        current = self._read(consistent=True)
        if isinstance(current, _CacheDown):
            current = seen
        elif current is not None and self._newer(current, seen) and current.is_fresh(started):
            return self._serve(current, Source.cache, started)  # refreshed while we took the lock
        base = max((e for e in (current, seen) if e is not None), key=lambda e: e.version, default=None)
        stale = base if base is not None and self._usable(base, started) else None
        entry = self._compute((base.version if base else 0) + 1, stale=stale, started=started)
        if entry is stale:  # the totals could not be read: keep serving what we have
            now = self.clock()
            return self._serve(entry, Source.cache if entry.is_fresh(now) else Source.stale, now)
        try:
            written = self.cache.write_if_newer(entry, keep_until=entry.fresh_until + self.policy.stale_ttl_s)
            if not written:
                logger.info("a newer public stats value was already cached", extra={"version": entry.version})
        except STORE_ERRORS as error:
            self._report("public_stats.cache.write", error)
        return self._serve(entry, Source.recomputed, self.clock())

    def _release(self, lease: Lease) -> None:
        try:
            if not self.lock.release(lease):
                logger.warning("the recompute lease ran out before release; the lock was left to its new holder")
        except STORE_ERRORS as error:
            self._report("public_stats.lock.release", error)

    # -- requests that lost the lock ------------------------------------------------------------
    def _wait_for_refresh(self, seen: CachedStats | None) -> Served:
        for _ in range(self.policy.poll_attempts):
            self.sleeper(self.policy.poll_interval_s)
            current = self._read(consistent=True)
            if isinstance(current, _CacheDown):
                break
            now = self.clock()
            if current is not None and self._newer(current, seen) and current.is_fresh(now):
                return self._serve(current, Source.cache, now)
        now = self.clock()
        if seen is not None:
            return self._serve(seen, Source.stale, now)
        # Nothing was ever cached and the holder has not produced a value in time: compute, don't write.
        return self._serve(self._compute(0, stale=None), Source.uncached, self.clock())

    # -- the cache store failing ----------------------------------------------------------------
    def _without_cache(self, now: float) -> Served:
        last = self._last
        if last is not None and self._usable(last, now):
            return self._serve(last, Source.memory if last.is_fresh(now) else Source.stale, now)
        return self._serve(self._compute(0, stale=None), Source.uncached, self.clock())

    # -- helpers --------------------------------------------------------------------------------
    def _compute(self, version: int, *, stale: CachedStats | None, started: float | None = None) -> CachedStats:
        """Compute the figures now; on failure fall back to `stale`, else answer 503."""
        began = self.clock() if started is None else started
        try:
            totals = self.totals.read()
        except STORE_ERRORS as error:
            if stale is not None:
                self._report("public_stats.totals.read", error)
                return stale
            self._report("public_stats.totals.read", error, kind=OpsKind.api)
            raise ServiceUnavailable("public stats cannot be computed right now",
                                     retry_after_s=self.policy.retry_after_s) from error
        done = self.clock()
        stats = figures_from(totals, datetime.fromtimestamp(math.floor(done), UTC))
        return CachedStats(version=version, payload=stats.model_dump_json(), computed_at=done,
                           fresh_until=done + self.policy.ttl_s, delta_s=max(0.0, done - began))

    def _read(self, *, consistent: bool) -> CachedStats | _CacheDown | None:
        try:
            return self.cache.read(consistent=consistent)
        except STORE_ERRORS as error:
            self._report("public_stats.cache.read", error)
            return _CACHE_DOWN

    def _serve(self, entry: CachedStats, source: Source, now: float) -> Served:
        with self._last_guard:
            if self._last is None or entry.version >= self._last.version or entry.version == 0:
                self._last = entry
        return Served(entry, source, max(0, math.floor(entry.fresh_until - now)))

    def _usable(self, entry: CachedStats, now: float) -> bool:
        return now < entry.fresh_until + self.policy.stale_ttl_s

    @staticmethod
    def _newer(entry: CachedStats, than: CachedStats | None) -> bool:
        return than is None or entry.version > than.version

    def _report(self, operation: str, error: BaseException, kind: OpsKind = OpsKind.cache) -> None:
        logger.warning("public stats store failed; answering without it",
                       extra={"operation": operation, "error": f"{type(error).__name__}: {error}"})
        if self.on_failure is not None:
            self.on_failure(kind, operation, error)


@dataclass(frozen=True)
class PublicStatsAnswer:
    served: Served
    rate: RateDecision


def answer_public_stats(source_ip: str | None, *, limiter: RateLimiter,
                        service: PublicStatsService) -> PublicStatsAnswer:
    """Count the request against the client's limit, then serve the figures.

    Raises RateLimited (429) past the limit and ServiceUnavailable (503) when nothing can be served;
    both carry the RateLimit headers, like every other answer.
    """
    rate = limiter.hit(source_ip)
    if not rate.allowed:
        logger.info("public stats request rate limited", extra={"degraded": rate.degraded})
        raise RateLimited(rate.retry_after_s, headers={**rate.headers(), "Cache-Control": "no-store"})
    try:
        served = service.current()
    except ServiceUnavailable as error:
        error.headers.update({**rate.headers(), "Cache-Control": "no-store"})
        raise
    return PublicStatsAnswer(served=served, rate=rate)
