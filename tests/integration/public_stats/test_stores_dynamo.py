"""The DynamoDB stores against moto: lease lock, versioned cache, exactly-once totals."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.public_stats.cache import CachedStats, DynamoStatsCache
from tally.public_stats.lock import DynamoLeaseLock
from tally.totals.counters import Contribution, Totals, site_created
from tally.totals.store import DynamoTotals
from tests.integration.public_stats.conftest import dynamodb

T0 = 1_767_225_600.0


@pytest.fixture
def table(aws) -> str:
    return aws["PublicStatsTable"]


# -- the ownership-token lock ----------------------------------------------------------------------

def test_the_lock_is_exclusive_while_its_lease_runs(table):
    lock = DynamoLeaseLock(table, dynamodb(), lease_s=10)
    first = lock.acquire(T0)
    assert first is not None
    assert lock.acquire(T0 + 9.999) is None
    assert lock.holder() == first.token


def test_a_lease_that_ran_out_can_be_taken_over(table):
    lock = DynamoLeaseLock(table, dynamodb(), lease_s=10)
    first = lock.acquire(T0)
    second = lock.acquire(T0 + 10)
    assert first is not None and second is not None and second.token != first.token
    assert lock.holder() == second.token


def test_a_holder_that_outlived_its_lease_cannot_release_the_new_holders_lock(table):
    lock = DynamoLeaseLock(table, dynamodb(), lease_s=10)
    slow = lock.acquire(T0)
    assert slow is not None
    new_holder = lock.acquire(T0 + 11)  # the slow holder's lease ran out; someone else took the lock
    assert new_holder is not None

    assert lock.release(slow) is False, "the stale holder's release must be refused"
    assert lock.holder() == new_holder.token, "the new holder still holds the lock"
    assert lock.acquire(T0 + 12) is None, "and nobody else can take it while its lease runs"

    assert lock.release(new_holder) is True
    assert lock.holder() is None
    assert lock.acquire(T0 + 13) is not None


def test_releasing_twice_is_refused_the_second_time(table):
    lock = DynamoLeaseLock(table, dynamodb(), lease_s=10)
    lease = lock.acquire(T0)
    assert lease is not None
    assert lock.release(lease) is True
    assert lock.release(lease) is False


def test_the_lock_item_expires_by_ttl_after_its_lease(table):
    client = dynamodb()
    DynamoLeaseLock(table, client, lease_s=10).acquire(T0)
    item = client.get_item(TableName=table, Key={"pk": {"S": "lock"}, "sk": {"S": "public_stats"}})["Item"]
    assert int(item["expires_at"]["N"]) > T0 + 10


# -- the versioned cache ---------------------------------------------------------------------------

def entry(version: int, payload: str = '{"sites": 1}') -> CachedStats:
    return CachedStats(version=version, payload=payload, computed_at=T0, fresh_until=T0 + 3600, delta_s=0.25)


def test_the_cache_round_trips_an_entry_and_sets_its_ttl(table):
    client = dynamodb()
    cache = DynamoStatsCache(table, client)
    assert cache.read() is None
    assert cache.write_if_newer(entry(1), keep_until=T0 + 90_000) is True
    assert cache.read(consistent=True) == entry(1)
    item = client.get_item(TableName=table, Key={"pk": {"S": "cache"}, "sk": {"S": "public_stats"}})["Item"]
    assert item["expires_at"] == {"N": str(int(T0 + 90_000))}


def test_a_slow_writer_never_overwrites_a_newer_value(table):
    cache = DynamoStatsCache(table, dynamodb())
    assert cache.write_if_newer(entry(5, "new"), keep_until=T0 + 1) is True
    assert cache.write_if_newer(entry(4, "slow"), keep_until=T0 + 1) is False
    assert cache.write_if_newer(entry(5, "same version"), keep_until=T0 + 1) is False
    assert cache.read(consistent=True).payload == "new"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(versions=st.lists(st.integers(1, 30), min_size=1, max_size=15))
def test_the_stored_version_never_regresses_whatever_order_writers_finish_in(table, versions):
    cache = DynamoStatsCache(table, dynamodb(), name=f"prop-{uuid.uuid4().hex}")
    stored = 0
    for version in versions:
        accepted = cache.write_if_newer(entry(version, f"v{version}"), keep_until=T0 + 1)
        assert accepted == (version > stored)
        stored = max(stored, version)
        current = cache.read(consistent=True)
        assert current is not None and current.version == stored and current.payload == f"v{stored}"


# -- platform totals -------------------------------------------------------------------------------

def test_totals_read_zero_until_something_is_recorded(table):
    assert DynamoTotals(table, dynamodb()).read() == Totals()


def test_a_contribution_is_counted_once_however_often_it_is_recorded(table):
    totals = DynamoTotals(table, dynamodb())
    sealed = Contribution(pageviews=120, visit_ms=3_600_000)
    assert totals.record_contribution("web#site-1#2026-01-01T10", sealed) is True
    assert totals.record_contribution("web#site-1#2026-01-01T10", sealed) is False
    assert totals.record_contribution("site#site-1", site_created(datetime(2025, 3, 1, tzinfo=UTC))) is True
    assert totals.record_contribution("site#site-0", site_created(datetime(2023, 3, 1, tzinfo=UTC))) is True
    assert totals.record_contribution("repo#r-1", Contribution(repositories=1)) is True
    assert totals.read() == Totals(sites=1, pageviews=120, visit_ms=3_600_000, repositories=1)


def test_reading_the_totals_is_one_bounded_query_never_a_scan(table):
    client = dynamodb()
    totals = DynamoTotals(table, client)
    for n in range(40):
        totals.record_contribution(f"web#c{n}", Contribution(pageviews=1))
    calls: list[str] = []
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    assert totals.read().pageviews == 40
    assert calls == ["Query"]


def test_a_contribution_can_join_the_writers_own_sealing_transaction(table):
    client = dynamodb()
    totals = DynamoTotals(table, client)
    seal = {"Put": {"TableName": table, "Item": {"pk": {"S": "test-seal"}, "sk": {"S": "b1"}},
                    "ConditionExpression": "attribute_not_exists(pk)"}}
    items = totals.contribution_items("web#b1", Contribution(pageviews=7))
    client.transact_write_items(TransactItems=[*items, seal])
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[*items, seal])
    assert totals.read().pageviews == 7


def test_concurrent_writers_with_retries_and_duplicates_sum_exactly(aws_server):
    table = aws_server["PublicStatsTable"]
    totals = DynamoTotals(table, dynamodb(), sleeper=lambda _: None)
    contributions = [(f"web#{n % 60}", Contribution(pageviews=n % 60 + 1, visit_ms=10_000)) for n in range(180)]
    barrier = threading.Barrier(12)

    def write(batch):
        barrier.wait()
        return sum(totals.record_contribution(cid, c) for cid, c in batch)

    with ThreadPoolExecutor(12) as pool:
        counted = sum(pool.map(write, [contributions[i::12] for i in range(12)]))
    assert counted == 60
    assert totals.read() == Totals(pageviews=sum(range(1, 61)), visit_ms=600_000)
