"""Public stats against moto: settings, clients with injectable faults, runtimes with injected time."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from tally.public_stats.settings import PublicStatsSettings
from tally.public_stats.wiring import PublicStatsRuntime, build
from tally.totals.counters import Totals
from tally.totals.store import TotalsReader
from tests.unit.public_stats.fakes import FakeClock, RecordingSleeper

THROTTLED = "ProvisionedThroughputExceededException"


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterable[bytes]:
        yield self.data

    def read(self, *_: Any) -> bytes:
        return self.data


@dataclass
class Faults:
    """Makes a real client's calls fail as DynamoDB fails: an error response botocore parses into a
    real ClientError (throttling by default), or a connection that cannot be made (an outage)."""

    operations: set[str] = field(default_factory=set)  # empty: every operation
    code: str = THROTTLED
    unreachable: bool = False
    active: bool = True
    failed: list[str] = field(default_factory=list)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        raw = request.headers.get("X-Amz-Target", "")
        operation = (raw.decode() if isinstance(raw, bytes) else str(raw)).rpartition(".")[2]
        if not self.active or (self.operations and operation not in self.operations):
            return None
        self.failed.append(operation)
        if self.unreachable:
            raise EndpointConnectionError(endpoint_url=request.url)
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{self.code}",
                           "message": "Rate of requests exceeds the allowed throughput."}).encode()
        return AWSResponse(request.url, 400, {"x-amzn-requestid": "fault-injected",
                                              "content-type": "application/x-amz-json-1.0"}, _Body(body))


def dynamodb(faults: Faults | None = None) -> Any:
    """A DynamoDB client on whatever moto the fixture started (in-process, or the server via
    AWS_ENDPOINT_URL); without retries, so an injected fault fails at once instead of backing off."""
    import boto3

    client = boto3.client("dynamodb", config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    if faults is not None:
        client.meta.events.register_first("before-send.dynamodb", faults)
    return client


class CountingTotals:
    """Counts recomputes (reads of the totals); optionally blocks each read until released."""

    def __init__(self, inner: TotalsReader, gate: threading.Event | None = None, *,
                 block_after_read: bool = False) -> None:
        self.inner = inner
        self.gate = gate
        self.block_after_read = block_after_read
        self.started = threading.Event()
        self._guard = threading.Lock()
        self.reads = 0

    def read(self) -> Totals:
        with self._guard:
            self.reads += 1
        totals = self.inner.read() if self.block_after_read else None
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(timeout=30), "the test never released the gate"
        return totals if totals is not None else self.inner.read()


@pytest.fixture
def stats_settings(aws) -> PublicStatsSettings:
    return PublicStatsSettings(table=aws["PublicStatsTable"], cache_ttl_s=3600, stale_ttl_s=86_400,
                               stale_while_revalidate_s=600, lock_lease_s=10, lock_wait_s=1.0,
                               rate_limit_per_minute=10, retry_after_s=30)


@pytest.fixture
def server_settings(aws_server) -> PublicStatsSettings:
    return PublicStatsSettings(table=aws_server["PublicStatsTable"], lock_lease_s=10, lock_wait_s=1.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_runtime(settings: PublicStatsSettings, clock: FakeClock, *, client: Any = None, rng: float = 0.0,
                 on_failure: Callable[..., None] | None = None, **kwargs: Any) -> PublicStatsRuntime:
    extra = {"on_failure": on_failure} if on_failure is not None else {}
    return build(settings, client=client or dynamodb(), clock=clock, sleeper=RecordingSleeper(),
                 rng=lambda: rng, **extra, **kwargs)
