"""In-memory stand-ins with the stores' semantics, an injectable clock, and real botocore errors.

The fakes implement the same contracts as the DynamoDB stores (conditional version writes, token
leases); the integration tests prove the DynamoDB stores against moto.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from tally.public_stats.cache import CachedStats
from tally.public_stats.lock import Lease
from tally.totals.counters import Totals


class FakeClock:
    """Epoch seconds that move only when a test says so; safe to read from many threads."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = now
        self._guard = threading.Lock()

    def __call__(self) -> float:
        with self._guard:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._guard:
            self._now += seconds

    def set(self, now: float) -> None:
        with self._guard:
            self._now = now


class RecordingSleeper:
    """A sleeper that never sleeps: it records the waits (and may run a hook, e.g. move a clock)."""

    def __init__(self, on_sleep=None) -> None:
        self.waits: list[float] = []
        self.on_sleep = on_sleep

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(seconds)


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                  "Message": "Rate of requests exceeds the allowed throughput."}}, operation)


class Outage:
    """A switch the fakes consult: while `down`, every call raises a throttling ClientError."""

    def __init__(self) -> None:
        self.down = False

    def check(self, operation: str) -> None:
        if self.down:
            raise throttled(operation)


@dataclass
class InMemoryStatsCache:
    outage: Outage = field(default_factory=Outage)
    entry: CachedStats | None = None
    keep_until: float | None = None
    writes: list[int] = field(default_factory=list)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def read(self, *, consistent: bool = False) -> CachedStats | None:
        self.outage.check("GetItem")
        with self._guard:
            return self.entry

    def write_if_newer(self, entry: CachedStats, keep_until: float) -> bool:
        self.outage.check("PutItem")
        with self._guard:
            if self.entry is not None and self.entry.version >= entry.version:
                return False
            self.entry, self.keep_until = entry, keep_until
            self.writes.append(entry.version)
            return True


@dataclass
class InMemoryLock:
    clock: FakeClock
    lease_s: float = 10.0
    outage: Outage = field(default_factory=Outage)
    held: Lease | None = None
    acquired: int = 0
    _guard: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    def acquire(self, now: float) -> Lease | None:
        self.outage.check("PutItem")
        with self._guard:
            if self.held is not None and self.held.until > now:
                return None
            self._counter += 1
            self.held = Lease("public_stats", f"token-{self._counter}", now + self.lease_s)
            self.acquired += 1
            return self.held

    def release(self, lease: Lease) -> bool:
        self.outage.check("DeleteItem")
        with self._guard:
            if self.held is None or self.held.token != lease.token:
                return False
            self.held = None
            return True


@dataclass
class InMemoryTotals:
    totals: Totals = field(default_factory=Totals)
    outage: Outage = field(default_factory=Outage)
    reads: int = 0
    on_read: object = None

    def read(self) -> Totals:
        self.outage.check("Query")
        self.reads += 1
        if callable(self.on_read):
            self.on_read()
        return self.totals


@dataclass
class InMemoryRateCounter:
    """Fixed-window counters with the DynamoDB counter's conditional semantics."""

    outage: Outage = field(default_factory=Outage)
    counts: dict[tuple[str, int], int] = field(default_factory=dict)

    def hit(self, key: str, window_start: int, limit: int, expires_at: int) -> int | None:
        self.outage.check("UpdateItem")
        count = self.counts.get((key, window_start), 0)
        if count >= limit:
            return None
        self.counts[(key, window_start)] = count + 1
        return count + 1


class FixedSalts:
    def __init__(self, outage: Outage | None = None) -> None:
        self.outage = outage or Outage()

    def salt(self, day: str) -> bytes:
        self.outage.check("GetItem")
        return f"salt-{day}".encode()
