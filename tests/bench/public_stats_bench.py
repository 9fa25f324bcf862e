"""Public stats: recomputes under a 100-request burst at cache expiry, and read units of a warm request.

Runs against moto's server on loopback (requests applied one at a time, like DynamoDB serialises
conflicting writes) with 100 real threads, each its own "container" (service instance), and an
injected clock frozen at the moment the cached value expires. Read units are computed from the
items each read returned, by DynamoDB's sizing rules (an eventually consistent read costs half).
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

T0 = 1_767_225_600.0
BURST = 100
WARM_REQUESTS = 50


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class _CountingTotals:
    def __init__(self, inner: Any) -> None:
        self.inner, self.reads, self._guard = inner, 0, threading.Lock()

    def read(self) -> Any:
        with self._guard:
            self.reads += 1
        return self.inner.read()


def _size(value: dict[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return 1 + math.ceil(len(raw.lstrip("-").replace(".", "").lstrip("0") or "0") / 2)
    if kind == "B":
        return len(raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _size(v) for k, v in raw.items())
    if kind == "L":
        return 3 + sum(1 + _size(v) for v in raw)
    return 1


def _item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _size(value) for name, value in item.items())


class ReadMeter:
    """Read units of GetItem/Query calls on one client, by DynamoDB's published sizing rules."""

    def __init__(self, client: Any) -> None:
        self.units = 0.0
        self.calls = 0
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = params.get("body") or b"{}"
        context["bench_consistent"] = bool(json.loads(body).get("ConsistentRead"))

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        self.calls += 1
        factor = 1.0 if context.get("bench_consistent") else 0.5
        if model.name == "GetItem":
            size = _item_size(parsed["Item"]) if parsed.get("Item") else 0
            self.units += max(1, math.ceil(size / 4096)) * factor
        elif model.name == "Query":
            size = sum(_item_size(item) for item in parsed.get("Items", []))
            self.units += max(1, math.ceil(size / 4096)) * factor


def _client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("dynamodb", endpoint_url=endpoint, config=Config(max_pool_connections=BURST + 10))


def _burst(requests: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(requests))

    def go(request: Any) -> Any:
        barrier.wait()
        return request()

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(go, requests))


def _locked_burst(settings: Any, client: Any) -> tuple[int, int]:
    from tally.public_stats.wiring import build
    from tally.totals.store import DynamoTotals

    clock = _Clock(T0)
    build(settings, client=client, clock=clock, sleeper=lambda _: None, on_failure=None).service.current()
    clock.now = T0 + settings.cache_ttl_s
    counter = _CountingTotals(DynamoTotals(settings.table, client))
    containers = [build(settings, client=client, clock=clock, totals=counter, sleeper=lambda _: None,
                        on_failure=None).service for _ in range(BURST)]
    served = _burst([c.current for c in containers])
    return counter.reads, sum(1 for s in served if s.source.value == "stale")


def _plain_ttl_burst(settings: Any, client: Any) -> int:
    """The baseline: a cache with a TTL and nothing else (no lock, no early refresh, no re-check)."""
    from tally.public_stats.cache import CachedStats, DynamoStatsCache
    from tally.public_stats.figures import figures_from
    from tally.totals.store import DynamoTotals

    cache = DynamoStatsCache(settings.table, client, name="bench-plain-ttl")
    counter = _CountingTotals(DynamoTotals(settings.table, client))
    clock = _Clock(T0)

    def request() -> None:
        now = clock()
        entry = cache.read()
        if entry is not None and entry.is_fresh(now):
            return
        stats = figures_from(counter.read(), datetime.fromtimestamp(now, UTC))
        version = (entry.version if entry else 0) + 1
        cache.write_if_newer(CachedStats(version, stats.model_dump_json(), now, now + settings.cache_ttl_s, 0.0),
                             keep_until=now + settings.cache_ttl_s)

    request()
    clock.now = T0 + settings.cache_ttl_s
    counter.reads = 0
    _burst([request] * BURST)
    return counter.reads


def _read_units(settings: Any, endpoint: str) -> tuple[float, float, float]:
    from tally.public_stats.wiring import build

    client = _client(endpoint)
    meter = ReadMeter(client)
    clock = _Clock(T0 + 7200)
    runtime = build(settings, client=client, clock=clock, sleeper=lambda _: None, on_failure=None)
    meter.units = 0.0
    runtime.limiter.hit("192.0.2.1")
    runtime.service.current()  # a container's first request: salt, cache miss, lock, re-check, totals
    cold = meter.units
    meter.units, meter.calls = 0.0, 0
    for n in range(WARM_REQUESTS):
        runtime.limiter.hit(f"198.51.100.{n + 1}")
        runtime.service.current()
    return meter.units / WARM_REQUESTS, meter.calls / WARM_REQUESTS, cold


def run() -> list[dict[str, Any]]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    from tally.public_stats.settings import PublicStatsSettings
    from tally.totals.counters import Contribution
    from tally.totals.store import DynamoTotals
    from tally_dev.motoserver import MotoServer
    from tally_dev.template import create_tables, load_template

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    with MotoServer() as server:
        client = _client(server.endpoint)
        table = create_tables(client, load_template(), f"bench{uuid.uuid4().hex[:6]}")["PublicStatsTable"]
        settings = PublicStatsSettings(table=table, cache_ttl_s=3600, stale_ttl_s=86_400, lock_lease_s=10,
                                       lock_wait_s=1.0, rate_limit_per_minute=10)
        DynamoTotals(table, client).record_contribution("bench#seed", Contribution(pageviews=10_000, sites=3))
        recomputes, stale = _locked_burst(settings, client)
        plain = _plain_ttl_burst(settings, client)
        warm_units, warm_calls, cold_units = _read_units(settings, server.endpoint)

    return [
        {"name": "public_stats.recomputes_at_expiry_burst_100", "value": recomputes, "unit": "recomputes",
         "budget": "== 1", "ok": recomputes == 1,
         "baseline": f"plain TTL cache (no lock, no XFetch), same burst: {plain} recomputes",
         "stale_answers": stale},
        {"name": "public_stats.read_units_per_warm_request", "value": warm_units, "unit": "RCU",
         "budget": "<= 0.5", "ok": warm_units <= 0.5,
         "baseline": f"a container's first request (recompute) in the same run: {cold_units:g} RCU",
         "dynamodb_calls_per_warm_request": warm_calls},
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure)
