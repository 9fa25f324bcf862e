"""Real concurrency on the serialised moto server: one recompute per expiry, and leases that lapse."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tally.public_stats.cache import DynamoStatsCache
from tally.public_stats.lock import DynamoLeaseLock
from tally.public_stats.service import Source
from tally.totals.counters import Contribution
from tally.totals.store import DynamoTotals
from tests.integration.public_stats.conftest import CountingTotals, dynamodb, make_runtime
from tests.unit.public_stats.fakes import FakeClock


def test_a_burst_of_100_requests_at_cache_expiry_recomputes_exactly_once(server_settings):
    client = dynamodb()
    table = server_settings.table
    DynamoTotals(table, client).record_contribution("web#seed", Contribution(pageviews=500, visit_ms=7_200_000))
    clock = FakeClock()
    warm = make_runtime(server_settings, clock, client=client)
    first = warm.service.current()
    assert first.source is Source.recomputed and first.entry.version == 1

    clock.advance(server_settings.cache_ttl_s)  # the very moment the value expires
    counter = CountingTotals(DynamoTotals(table, client))
    containers = [make_runtime(server_settings, clock, client=client, totals=counter) for _ in range(100)]
    barrier = threading.Barrier(100)

    def request(n: int):
        barrier.wait()
        return containers[n].service.current()

    with ThreadPoolExecutor(100) as pool:
        served = list(pool.map(request, range(100)))

    assert counter.reads == 1, f"{counter.reads} recomputes"
    assert [s.source for s in served].count(Source.recomputed) == 1
    assert {s.entry.version for s in served} <= {1, 2}
    assert all(s.source in (Source.recomputed, Source.cache, Source.stale) for s in served)
    assert DynamoStatsCache(table, client).read(consistent=True).version == 2
    assert DynamoLeaseLock(table, client).holder() is None, "the holder released the lock"


def test_a_holder_that_outlives_its_lease_neither_releases_the_next_holders_lock_nor_overwrites_its_value(
        server_settings):
    client = dynamodb()
    table = server_settings.table
    clock = FakeClock()
    make_runtime(server_settings, clock, client=client).service.current()  # version 1 cached
    clock.advance(server_settings.cache_ttl_s + 1)

    slow_gate, next_gate = threading.Event(), threading.Event()
    slow_totals = CountingTotals(DynamoTotals(table, client), gate=slow_gate)
    next_totals = CountingTotals(DynamoTotals(table, client), gate=next_gate)
    slow = make_runtime(server_settings, clock, client=client, totals=slow_totals)
    successor = make_runtime(server_settings, clock, client=client, totals=next_totals)
    lock = DynamoLeaseLock(table, client)

    with ThreadPoolExecutor(2) as pool:
        slow_answer = pool.submit(slow.service.current)
        assert slow_totals.started.wait(30)  # the slow holder holds the lock and is computing
        slow_token = lock.holder()
        clock.advance(server_settings.lock_lease_s + 1)  # ... for longer than its lease
        next_answer = pool.submit(successor.service.current)
        assert next_totals.started.wait(30)  # the successor took over the lapsed lease
        next_token = lock.holder()
        assert next_token not in (None, slow_token)

        slow_gate.set()  # the slow holder finishes: it writes version 2 and tries to release
        assert slow_answer.result(30).source is Source.recomputed
        assert lock.holder() == next_token, "the slow holder must not release the successor's lock"
        late = make_runtime(server_settings, clock, client=client).service.current()
        assert late.source is Source.cache and late.entry.version == 2

        next_gate.set()  # the successor read version 1 too: its version 2 must not overwrite
        assert next_answer.result(30).entry.version == 2
    stored = DynamoStatsCache(table, client).read(consistent=True)
    assert stored.version == 2 and stored.payload == slow_answer.result().entry.payload
    assert lock.holder() is None, "the successor released its own lock"


def test_a_slow_holder_finishing_after_a_newer_value_was_written_is_refused(server_settings):
    client = dynamodb()
    table = server_settings.table
    clock = FakeClock()
    make_runtime(server_settings, clock, client=client).service.current()  # version 1
    clock.advance(server_settings.cache_ttl_s + 1)

    gate = threading.Event()
    slow_totals = CountingTotals(DynamoTotals(table, client), gate=gate, block_after_read=True)
    slow = make_runtime(server_settings, clock, client=client, totals=slow_totals)
    with ThreadPoolExecutor(1) as pool:
        slow_answer = pool.submit(slow.service.current)
        assert slow_totals.started.wait(30)
        clock.advance(server_settings.lock_lease_s + 1)
        DynamoTotals(table, client).record_contribution("web#late", Contribution(pageviews=9))
        fresh = make_runtime(server_settings, clock, client=client).service.current()
        assert (fresh.source, fresh.entry.version, fresh.entry.stats.pageviews) == (Source.recomputed, 2, 9)
        gate.set()
        slow_entry = slow_answer.result(30).entry
        assert (slow_entry.version, slow_entry.stats.pageviews) == (2, 0)  # computed from older totals, and lost
    stored = DynamoStatsCache(table, client).read(consistent=True)
    assert stored == fresh.entry and stored.stats.pageviews == 9, "the newer value stays"
