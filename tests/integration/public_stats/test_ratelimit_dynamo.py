"""The per-IP limit against moto: counts, windows, other clients, concurrency, and no IP at rest."""

from __future__ import annotations

import base64
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.ops.kinds import OpsKind
from tally.public_stats.ratelimit import DynamoDailySalts, DynamoRateCounter, RateLimiter
from tests.integration.public_stats.conftest import Faults, dynamodb
from tests.unit.public_stats.fakes import FakeClock

T0 = 1_767_225_600.0  # a minute boundary


def limiter(table: str, clock: FakeClock, client=None, limit: int = 10, failures=None) -> RateLimiter:
    client = client or dynamodb()
    return RateLimiter(DynamoRateCounter(table, client), DynamoDailySalts(table, client), limit, clock=clock,
                       on_failure=(lambda k, o, e: failures.append((k, o))) if failures is not None else None)


def test_the_eleventh_request_in_a_minute_is_refused_while_another_ip_passes(aws):
    clock = FakeClock(T0 + 12.5)
    limit = limiter(aws["PublicStatsTable"], clock)
    decisions = [limit.hit("198.51.100.7") for _ in range(11)]
    assert [d.allowed for d in decisions] == [True] * 10 + [False]
    assert [d.remaining for d in decisions] == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
    assert decisions[-1].reset_s == 48 and decisions[-1].retry_after_s == 48
    other = limit.hit("198.51.100.8")
    assert other.allowed and other.remaining == 9


def test_the_next_minute_starts_a_fresh_count(aws):
    clock = FakeClock(T0 + 59)
    limit = limiter(aws["PublicStatsTable"], clock)
    for _ in range(10):
        limit.hit("2001:db8::1")
    assert not limit.hit("2001:db8::1").allowed
    clock.advance(1)
    assert limit.hit("2001:db8::1").allowed


def test_every_container_shares_the_same_daily_salt_and_so_the_same_count(aws):
    clock = FakeClock(T0)
    containers = [limiter(aws["PublicStatsTable"], clock) for _ in range(3)]
    for n in range(10):
        assert containers[n % 3].hit("203.0.113.50").allowed
    assert not any(c.hit("203.0.113.50").allowed for c in containers)


def test_an_ipv6_subscriber_prefix_shares_one_limit(aws):
    limit = limiter(aws["PublicStatsTable"], FakeClock(T0))
    for n in range(10):
        assert limit.hit(f"2001:db8:aa:bb::{n + 1:x}").allowed
    assert not limit.hit("2001:db8:aa:bb:ffff::1").allowed
    assert limit.hit("2001:db8:aa:bc::1").allowed


def test_no_raw_ip_is_stored_and_every_counter_expires(aws):
    table = aws["PublicStatsTable"]
    ips = ["198.51.100.7", "203.0.113.9", "2001:db8:1:2::99", "::ffff:192.0.2.33"]
    limit = limiter(table, FakeClock(T0 + 1))
    for ip in ips:
        limit.hit(ip)
    items = dynamodb().scan(TableName=table)["Items"]
    assert items
    stored = repr(items) + "".join(base64.b64encode(v["B"]).decode() for i in items for v in i.values() if "B" in v)
    for text in [*ips, "2001:db8:1:2::", "192.0.2.33"]:
        assert text not in stored, f"{text} is stored"
    counters = [i for i in items if i["pk"]["S"].startswith("ratelimit#")]
    assert len(counters) == 4
    for item in counters:
        assert int(item["expires_at"]["N"]) <= T0 + 120
    salts = [i for i in items if i["pk"]["S"] == "salt"]
    assert len(salts) == 1 and int(salts[0]["expires_at"]["N"]) == T0 + 2 * 86_400


def test_a_failing_rate_limit_table_still_answers_from_a_per_container_count_and_is_recorded(aws):
    failures: list = []
    faults = Faults(operations={"UpdateItem"})
    limit = limiter(aws["PublicStatsTable"], FakeClock(T0), client=dynamodb(faults), failures=failures)
    decisions = [limit.hit("198.51.100.7") for _ in range(11)]
    assert [d.allowed for d in decisions] == [True] * 10 + [False]
    assert all(d.degraded for d in decisions)
    assert failures[0] == (OpsKind.cache, "public_stats.rate_limit") and len(failures) == 11
    faults.active = False
    assert limit.hit("198.51.100.9").degraded is False


def test_an_unreachable_table_fails_open_too(aws):
    limit = limiter(aws["PublicStatsTable"], FakeClock(T0), client=dynamodb(Faults(unreachable=True)))
    decision = limit.hit("198.51.100.7")
    assert decision.allowed and decision.degraded


def test_a_burst_from_one_ip_is_allowed_exactly_the_limit_however_the_requests_race(aws_server):
    clock = FakeClock(T0 + 30)
    containers = [limiter(aws_server["PublicStatsTable"], clock) for _ in range(8)]
    containers[0].hit("192.0.2.1")  # creates the day's salt before the race
    barrier = threading.Barrier(40)

    def request(n: int) -> bool:
        barrier.wait()
        return containers[n % 8].hit("198.51.100.77").allowed

    with ThreadPoolExecutor(40) as pool:
        allowed = list(pool.map(request, range(40)))
    assert sum(allowed) == 10


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hits=st.lists(st.tuples(st.integers(0, 2), st.floats(0, 179.999)), max_size=45),
       limit_value=st.integers(1, 6))
def test_decisions_match_a_fixed_window_oracle_for_any_sequence(aws, hits, limit_value):
    clock = FakeClock(T0)
    limit = limiter(aws["PublicStatsTable"], clock, limit=limit_value)
    unique = uuid.uuid4().int
    prefix = f"2001:{unique & 0xFFFF:x}:{(unique >> 16) & 0xFFFF:x}"  # a /48 of its own for this example
    counts: dict[tuple[int, int], int] = {}
    for client, offset in sorted(hits, key=lambda h: h[1]):
        clock.set(T0 + offset)
        window = int(offset // 60)
        before = counts.get((client, window), 0)
        decision = limit.hit(f"{prefix}:{client}::1")  # one /64 per client
        assert decision.allowed == (before < limit_value)
        counts[(client, window)] = min(limit_value, before + 1)
        assert decision.remaining == limit_value - counts[(client, window)]
        assert 1 <= decision.reset_s <= 60
