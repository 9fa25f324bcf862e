"""The read path's decisions, against in-memory stores with the DynamoDB stores' semantics."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.ops.kinds import OpsKind
from tally.platform.errors import RateLimited, ServiceUnavailable
from tally.public_stats.cache import CachedStats
from tally.public_stats.figures import PublicStats
from tally.public_stats.ratelimit import RateLimiter
from tally.public_stats.service import CachePolicy, PublicStatsService, Source, answer_public_stats
from tally.totals.counters import Totals
from tests.unit.public_stats.fakes import (
    FakeClock,
    FixedSalts,
    InMemoryLock,
    InMemoryRateCounter,
    InMemoryStatsCache,
    InMemoryTotals,
    RecordingSleeper,
    throttled,
)

TTL = 3600.0


class World:
    """One service (one Lambda container) over shared in-memory stores."""

    def __init__(self, *, rng: float = 0.0, clock: FakeClock | None = None, **policy: float) -> None:
        self.clock = clock or FakeClock()
        self.cache = InMemoryStatsCache()
        self.lock = InMemoryLock(self.clock)
        self.totals = InMemoryTotals(Totals(sites=3, pageviews=1200, visit_ms=5_400_000, repositories=0))
        self.failures: list[tuple[OpsKind, str]] = []
        self.sleeper = RecordingSleeper()
        self.policy = CachePolicy(ttl_s=TTL, **policy)
        self.rng = rng
        self.service = self.container()

    def container(self) -> PublicStatsService:
        return PublicStatsService(cache=self.cache, lock=self.lock, totals=self.totals, policy=self.policy,
                                  clock=self.clock, sleeper=self.sleeper, rng=lambda: self.rng,
                                  on_failure=lambda kind, op, error: self.failures.append((kind, op)))

    def seed(self, version: int = 1, age_s: float = 0.0, delta_s: float = 0.0) -> CachedStats:
        computed = self.clock() - age_s
        stats = PublicStats(sites=1, pageviews=10, hours_recorded=0.5, repositories_analyzed=0,
                            generated_at=computed)
        entry = CachedStats(version=version, payload=stats.model_dump_json(), computed_at=computed,
                            fresh_until=computed + TTL, delta_s=delta_s)
        self.cache.entry = entry
        return entry

    def hold_lock_elsewhere(self) -> None:
        assert self.lock.acquire(self.clock()) is not None


def test_first_request_computes_version_1_from_the_totals_and_caches_it():
    world = World()
    served = world.service.current()
    assert served.source is Source.recomputed
    assert served.entry.version == 1
    assert served.entry.stats.model_dump(exclude={"generated_at"}) == {
        "sites": 3, "pageviews": 1200, "hours_recorded": 1.5, "repositories_analyzed": 0}
    assert world.cache.entry == served.entry
    assert world.cache.keep_until == served.entry.fresh_until + world.policy.stale_ttl_s
    assert served.max_age_s == TTL
    assert world.lock.held is None, "the lock is released after the recompute"


def test_a_fresh_value_is_served_without_reading_the_totals():
    world = World()
    world.seed(version=4, age_s=600)
    served = world.service.current()
    assert (served.source, served.entry.version, served.max_age_s) == (Source.cache, 4, TTL - 600)
    assert world.totals.reads == 0


def test_an_expired_value_is_recomputed_as_the_next_version():
    world = World()
    world.seed(version=4, age_s=TTL)
    served = world.service.current()
    assert (served.source, served.entry.version) == (Source.recomputed, 5)
    assert world.cache.writes == [5]


def test_xfetch_elects_an_early_recompute_when_the_draw_is_small_enough():
    world = World(rng=1 - 1e-6)  # ln(1e-6) ≈ -13.8: delta 10 s reaches 138 s before expiry
    world.seed(version=2, age_s=TTL - 100, delta_s=10)
    assert world.service.current().source is Source.recomputed


def test_xfetch_leaves_a_value_alone_when_its_expiry_is_far_off():
    world = World(rng=1 - 1e-6)
    world.seed(version=2, age_s=TTL - 1000, delta_s=10)
    assert world.service.current().source is Source.cache


def test_an_early_refresh_under_way_elsewhere_leaves_the_still_fresh_value_served_at_once():
    world = World(rng=1 - 1e-6)
    world.seed(version=2, age_s=TTL - 100, delta_s=10)
    world.hold_lock_elsewhere()
    served = world.service.current()
    assert (served.source, served.entry.version) == (Source.cache, 2)
    assert world.sleeper.waits == [] and world.totals.reads == 0


def test_a_request_that_loses_the_lock_at_expiry_polls_briefly_then_serves_stale_without_recomputing():
    world = World(lock_wait_s=1.0, poll_interval_s=0.1)
    world.seed(version=7, age_s=TTL + 5)
    world.hold_lock_elsewhere()
    served = world.service.current()
    assert (served.source, served.entry.version, served.max_age_s) == (Source.stale, 7, 0)
    assert world.totals.reads == 0
    assert len(world.sleeper.waits) == 10 and sum(world.sleeper.waits) == pytest.approx(1.0)


def test_a_request_that_loses_the_lock_serves_the_fresh_value_as_soon_as_the_holder_writes_it():
    world = World()
    world.seed(version=7, age_s=TTL + 5)
    world.hold_lock_elsewhere()
    polls = []

    def holder_finishes(_: float) -> None:
        polls.append(1)
        if len(polls) == 3:
            world.seed(version=8)

    world.sleeper.on_sleep = holder_finishes
    served = world.service.current()
    assert (served.source, served.entry.version) == (Source.cache, 8)
    assert len(polls) == 3 and world.totals.reads == 0


def test_with_nothing_cached_and_the_lock_held_a_request_computes_after_waiting_but_does_not_write():
    world = World()
    world.hold_lock_elsewhere()
    served = world.service.current()
    assert served.source is Source.uncached
    assert world.cache.entry is None and world.totals.reads == 1


def test_the_lock_holder_rereads_the_cache_and_skips_the_recompute_when_someone_just_refreshed_it():
    world = World()
    stale = world.seed(version=3, age_s=TTL + 1)

    class RaceCache(InMemoryStatsCache):
        def read(self, *, consistent: bool = False) -> CachedStats | None:
            if not consistent:
                return stale  # the eventually consistent read still shows the old value
            return super().read(consistent=True)

    world.cache = RaceCache()
    world.service = world.container()
    world.seed(version=4)  # another container refreshed it between our read and our lock
    served = world.service.current()
    assert (served.source, served.entry.version) == (Source.cache, 4)
    assert world.totals.reads == 0 and world.lock.held is None


def test_a_value_older_than_the_stale_window_is_as_good_as_missing():
    world = World(stale_ttl_s=60)
    world.seed(version=9, age_s=TTL + 61)
    world.hold_lock_elsewhere()
    assert world.service.current().source is Source.uncached


def test_cache_store_down_with_nothing_known_computes_and_records_the_failure():
    world = World()
    world.cache.outage.down = True
    served = world.service.current()
    assert served.source is Source.uncached and world.totals.reads == 1
    assert (OpsKind.cache, "public_stats.cache.read") in world.failures
    assert world.lock.acquired == 0, "a failing cache table is not also asked for the lock"


def test_cache_store_down_serves_the_containers_last_known_value():
    world = World()
    first = world.service.current()
    world.cache.outage.down = True
    world.clock.advance(60)
    served = world.service.current()
    assert (served.source, served.entry) == (Source.memory, first.entry)
    world.clock.advance(TTL)
    assert world.service.current().source is Source.stale
    assert world.totals.reads == 1


def test_totals_down_while_a_stale_value_exists_serves_it_and_records_a_cache_kind_failure():
    world = World()
    world.seed(version=2, age_s=TTL + 30)
    world.totals.outage.down = True
    served = world.service.current()
    assert (served.source, served.entry.version) == (Source.stale, 2)
    assert world.failures == [(OpsKind.cache, "public_stats.totals.read")]
    assert world.lock.held is None


def test_nothing_cached_and_totals_down_is_a_503_with_retry_after():
    world = World(retry_after_s=45)
    world.totals.outage.down = True
    with pytest.raises(ServiceUnavailable) as raised:
        world.service.current()
    assert raised.value.headers["Retry-After"] == "45"
    assert world.failures == [(OpsKind.api, "public_stats.totals.read")]
    assert world.lock.held is None, "the lock is released even when the recompute fails"


def test_lock_store_down_serves_stale_or_computes():
    world = World()
    world.lock.outage.down = True
    assert world.service.current().source is Source.uncached
    world.seed(version=5, age_s=TTL + 1)
    served = world.service.current()
    assert (served.source, served.entry.version) == (Source.stale, 5)
    assert (OpsKind.cache, "public_stats.lock.acquire") in world.failures


def test_a_failing_cache_write_still_answers_the_recomputed_value():
    world = World()

    class ReadOnlyCache(InMemoryStatsCache):
        def write_if_newer(self, entry: CachedStats, keep_until: float) -> bool:
            raise throttled("PutItem")

    world.cache = ReadOnlyCache()
    world.service = world.container()
    served = world.service.current()
    assert served.source is Source.recomputed
    assert (OpsKind.cache, "public_stats.cache.write") in world.failures


def limiter_for(world: World, limit: int = 10) -> RateLimiter:
    return RateLimiter(InMemoryRateCounter(), FixedSalts(), limit, clock=world.clock)


def test_the_answer_counts_the_request_and_the_eleventh_is_rate_limited_with_headers():
    world = World()
    limiter = limiter_for(world)
    answers = [answer_public_stats("198.51.100.7", limiter=limiter, service=world.service) for _ in range(10)]
    assert [a.rate.remaining for a in answers] == list(range(9, -1, -1))
    with pytest.raises(RateLimited) as raised:
        answer_public_stats("198.51.100.7", limiter=limiter, service=world.service)
    headers = raised.value.headers
    assert headers["RateLimit-Remaining"] == "0" and headers["RateLimit-Limit"] == "10"
    assert headers["Retry-After"] == headers["RateLimit-Reset"]
    assert answer_public_stats("198.51.100.8", limiter=limiter, service=world.service).rate.remaining == 9


def test_a_503_carries_the_rate_limit_headers_too():
    world = World()
    world.totals.outage.down = True
    with pytest.raises(ServiceUnavailable) as raised:
        answer_public_stats("198.51.100.7", limiter=limiter_for(world), service=world.service)
    assert raised.value.headers["RateLimit-Remaining"] == "9" and "Retry-After" in raised.value.headers


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 2), st.floats(0, 2 * TTL), st.floats(0, 0.999999),
                                st.booleans()), min_size=1, max_size=40))
def test_across_containers_the_cached_version_only_grows_and_served_values_are_never_past_the_stale_window(steps):
    world = World(stale_ttl_s=600)
    containers = [world.container() for _ in range(3)]
    for index, advance, draw, outage in steps:
        world.clock.advance(advance)
        world.rng = draw
        world.cache.outage.down = outage
        before = world.cache.entry
        served = containers[index].current()
        now = world.clock()
        assert now < served.entry.fresh_until + 600, "never serve a value past the stale window"
        if served.source in (Source.cache, Source.recomputed, Source.memory):
            assert served.entry.is_fresh(now)
        if before is not None and world.cache.entry is not None:
            assert world.cache.entry.version >= before.version
    assert world.cache.writes == sorted(set(world.cache.writes))
