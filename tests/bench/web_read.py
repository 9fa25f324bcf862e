"""Web analytics read side: read units of a 30-day overview and page breakdown as a site grows from
1k to 1M events, and the stats handler's CPU per overview.

Model: one site in Europe/Berlin, N events over 30 sealed days with web_write's traffic model
(~3.5 pageviews per visit, 25 pages, a diurnal curve, visitor ids rotating daily as the tracker's
do). What the sealer leaves behind is built for real, into moto, through the product's own code:
each day's rollup (every dimension) is computed from its events, written by `RollupStore`, its
spans rebuilt by `rebuild_spans` and its mark settled with its counters by `DirtyMarks`. Raw
events are not stored: a sealed range never reads them, and the "scan the raw events" baseline's
read units are computed from their item sizes.

Read units are DynamoDB's: a Query costs its items' total size in 4 KB units (strongly consistent
here), a BatchGetItem each item's own size, halved for eventually consistent reads.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

DAYS = 30
FIRST = date(2026, 10, 20)  # 2026-10-25: Europe/Berlin leaves summer time inside the range
LAST = FIRST + timedelta(days=DAYS - 1)
TZ = "Europe/Berlin"
SITE = "bench-read"
SIZES = (1_000, 100_000, 1_000_000)
WHY = {
    "overview": "30 day marks (1 unit) + 2 visitor spans (eventually consistent): a span's HLL grows "
                "until it saturates, and a saturated lg_k 14 sketch (docs/design.md's 2 %) is ~6 KB compressed, one "
                "read unit more than a small site's; flat from 100k on",
    "breakdown": "every day's page item holds one visitor sketch per page: read units grow with pages x "
                 "sketch size until the sketches saturate",
}


def day_events(day: date, count: int, rng: random.Random) -> list[Any]:
    """About `count` events of one day (the web_write model), in time order."""
    from tally.web.aggregate.events import RawEvent
    from tally.web.aggregate.zones import day_bounds
    from tests.bench.web_write import BROWSERS, COUNTRIES, PAGES, SOURCES

    start, end = day_bounds(day, TZ)
    visits = max(1, round(count / 3.2))  # visits of ~3.2 events: the day holds about `count` events
    events: list[Any] = []
    for v in range(visits):
        hour = min(23, max(0, int(rng.gauss(14, 4))))
        t = start + hour * 3_600_000 + rng.randrange(3_600_000)
        visitor = f"visitor-{rng.randrange(max(1, visits // 2))}-{day}"
        source, country, browser = rng.choice(SOURCES), rng.choice(COUNTRIES), rng.choice(BROWSERS)
        for i in range(max(1, int(rng.expovariate(1 / 3.5)))):
            t += rng.randrange(5_000, 240_000)
            if t >= end:
                break
            name = "pageview" if rng.random() > 0.05 else "Signup"
            events.append(RawEvent(f"{day}-{v}-{i}", SITE, t, name, visitor, rng.choice(PAGES), source=source,
                                   referrer="" if source == "Direct / None" else f"{source.lower()}.test",
                                   country=country, device="Desktop", browser=browser, os="Windows",
                                   props=(("plan", rng.choice(["free", "pro"])),) if name == "Signup" else ()))
    return sorted(events, key=lambda e: e.ts_ms)


def seal_days(names: dict[str, str], client: Any, total_events: int, seed: int) -> dict[str, Any]:
    """Build the sealed days of the model into the tables; returns the raw-scan baseline's figures."""
    from tally.platform.capacity import READ_UNIT_BYTES, item_size
    from tally.web.aggregate.marks import DirtyMarks
    from tally.web.aggregate.raw_store import to_item
    from tally.web.aggregate.rollup import compute_rollup
    from tally.web.aggregate.rollup_store import RollupStore
    from tally.web.aggregate.spans import SpanStore, rebuild_spans
    from tally.web.aggregate.visits import build_visits
    from tally.web.aggregate.zones import Grain, day_bounds

    rng = random.Random(seed)
    marks = DirtyMarks(names["RollupsTable"], client)
    rollups = RollupStore(names["RollupsTable"], client)
    spans = SpanStore(names["RollupsTable"], client)
    stored, raw_bytes = 0, 0
    for offset in range(DAYS):
        day = FIRST + timedelta(days=offset)
        start, end = day_bounds(day, TZ)
        events = day_events(day, total_events // DAYS, rng)
        stored += len(events)
        raw_bytes += sum(item_size(to_item(e, 4_000_000_000, TZ)) for e in events)
        rollup = compute_rollup(SITE, Grain.day, start, end, events, build_visits(events))
        marks.touch(SITE, TZ, Grain.day, start, end)
        mark = marks.get(SITE, Grain.day, start)
        assert mark is not None
        rollups.write(rollup, mark.version)
        rebuild_spans(SITE, TZ, start, mark.version, marks=marks, rollups=rollups, spans=spans,
                      long_past=lambda _start: True)
        assert marks.settle(mark, rollup.totals.mark_counts())
    return {"events": stored, "raw_scan_units": raw_bytes / READ_UNIT_BYTES}


def sources(names: dict[str, str], client: Any, now: int | None = None) -> Any:
    from tally.web.aggregate.raw_store import RawEventStore
    from tally.web.aggregate.rollup_store import RollupStore
    from tally.web.aggregate.spans import SpanStore
    from tally.web.aggregate.zones import day_bounds
    from tally.web.query.answers import AnswerStore
    from tally.web.query.range_plan import DynamoMarkReader
    from tally.web.query.reader import StatsSources

    now = now or day_bounds(LAST + timedelta(days=2), TZ)[0]
    return StatsSources(DynamoMarkReader(names["RollupsTable"], client), RollupStore(names["RollupsTable"], client),
                        RawEventStore(names["EventsTable"], client), lambda: now,
                        SpanStore(names["RollupsTable"], client), AnswerStore(names["RollupsTable"], client))


class Replay:
    """A DynamoDB client that answers the calls recorded from a real one: the handler's I/O, stubbed."""

    def __init__(self, real: Any, *, keep_answers: bool) -> None:
        self.real, self.answers, self.recording, self.keep_answers = real, {}, True, keep_answers

    def _call(self, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "put_item" and not self.keep_answers:
            return {}  # nothing is kept: every call computes its answer
        key = (operation, json.dumps(kwargs, sort_keys=True, default=str))
        if self.recording or key not in self.answers:
            # A call first seen after recording (the query's raw-read time bound can make the recorded
            # calls differ from later ones) is answered once by the real client, during the warm-up calls.
            self.answers[key] = getattr(self.real, operation)(**kwargs)
        return self.answers[key]

    def __getattr__(self, operation: str) -> Any:
        return lambda **kwargs: self._call(operation, kwargs)

    def get_paginator(self, operation: str) -> Any:
        replay = self

        class Pages:
            def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
                while True:
                    page = replay._call(operation, kwargs)
                    yield page
                    if not page.get("LastEvaluatedKey"):
                        return
                    kwargs = {**kwargs, "ExclusiveStartKey": page["LastEvaluatedKey"]}

        return Pages()


def handler_cpu_per_overview(names: dict[str, str], client: Any, *, keep_answers: bool) -> float:
    """CPU of the Stats handler answering the dashboard's 30-day overview (with comparison), warm:
    computed from marks and spans, or (`keep_answers`) from the kept answers of both periods.

    The model's days lie in the past, so the handler's own clock finds them sealed."""
    import tally.platform.aws as aws
    from tally.sites.model import SiteCreate
    from tally.sites.service import create_site
    from tally.sites.wiring import site_store
    from tally.usage import settings as usage_settings
    from tally.usage import wiring as usage_wiring
    from tally.web.query.settings import stats_settings
    from tests.apigw import FakeContext, caller_claims, http_event
    from tests.integration.handlers import load_handler_module

    replay = Replay(client, keep_answers=keep_answers)
    real_client = aws.dynamodb_client
    real_audit_client = usage_wiring.dynamodb_fail_fast_client
    aws.dynamodb_client = lambda: replay  # type: ignore[assignment]
    # the read's audit row (tally.usage.audit) is part of the handler's work: it goes through the replay too
    usage_wiring.dynamodb_fail_fast_client = lambda: replay  # type: ignore[assignment]
    try:
        os.environ.update({"SITES_TABLE": names["SitesTable"], "EVENTS_TABLE": names["EventsTable"],
                           "ROLLUPS_TABLE": names["RollupsTable"], "OPS_TABLE": names["OpsTable"],
                           "USAGE_TABLE": names["UsageTable"]})
        site_store.cache_clear()
        stats_settings.cache_clear()
        usage_settings.usage_settings.cache_clear()
        usage_wiring.audit_trail.cache_clear()
        domain = f"read-{'kept' if keep_answers else 'computed'}.bench.test"
        site = create_site(site_store(), "bench-org", SiteCreate(domain=domain, timezone=TZ)).site_id
        module = load_handler_module("StatsFunction")
        path = f"/api/v1/sites/{site}/stats/overview"
        event = http_event("GET", path, route="/api/v1/sites/{site_id}/stats/overview",
                           query={"period": "30d", "date": LAST.isoformat(), "compare": "previous_period"},
                           claims=caller_claims("bench-org"))
        # the site's data: the model's rollups under the new site id
        _copy_site_data(client, names["RollupsTable"], SITE, site)
        context = FakeContext()
        with contextlib.redirect_stdout(io.StringIO()):
            for _ in range(2):  # records every DynamoDB answer (the first call keeps the answers if it may)
                response = module.lambda_handler(event, context)
                assert response["statusCode"] == 200, response
            replay.recording = False
            for _ in range(5):
                module.lambda_handler(event, context)
            calls = 50
            start = time.process_time()
            for _ in range(calls):
                module.lambda_handler(event, context)
            per_call_ms = (time.process_time() - start) * 1000 / calls
        return per_call_ms
    finally:
        aws.dynamodb_client = real_client  # type: ignore[assignment]
        usage_wiring.dynamodb_fail_fast_client = real_audit_client  # type: ignore[assignment]
        site_store.cache_clear()
        stats_settings.cache_clear()
        usage_wiring.audit_trail.cache_clear()


def _copy_site_data(client: Any, table: str, old: str, new: str) -> None:
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(TableName=table):
        for item in page.get("Items", []):
            pk = item["pk"]["S"]
            if (pk.startswith(f"{old}#") and not pk.endswith("#answer")) or pk == f"mark#{old}":
                client.put_item(TableName=table, Item={**item, "pk": {"S": pk.replace(old, new, 1)}})


def measure(total_events: int) -> dict[str, Any]:
    from moto import mock_aws

    from tally.web.aggregate.zones import Grain, day_bounds
    from tally.web.query import service
    from tally.web.query.periods import DateRange
    from tally_dev.template import create_tables, load_template

    with mock_aws():
        import boto3

        client = boto3.client("dynamodb")
        names = create_tables(client, load_template(), "bench")
        model = seal_days(names, client, total_events, seed=total_events)
        days = DateRange(FIRST, LAST, TZ)
        figures: dict[str, Any] = {}
        for when in ("first", "again"):  # the first query computes and keeps its answer; the next reads it
            overview_sources = sources(names, client)
            result = service.overview(overview_sources, SITE, TZ, days, compare=False)
            breakdown_sources = sources(names, client)
            rows = service.breakdown(breakdown_sources, SITE, TZ, days, "page", limit=100, cursor=None)
            figures[when] = (result, rows, overview_sources.read_units, breakdown_sources.read_units)
        assert figures["first"][:2] == figures["again"][:2], "a kept answer differs from the computed one"
        # the dashboard's default: 30 days through today (noon, nothing yet today), sealed days kept merged
        live = DateRange(FIRST + timedelta(days=1), LAST + timedelta(days=1), TZ)
        noon = day_bounds(LAST + timedelta(days=1), TZ)[0] + 12 * 3_600_000
        live_units = []
        for _ in range(2):
            live_sources = sources(names, client, now=noon)
            service.breakdown(live_sources, SITE, TZ, live, "page", limit=100, cursor=None)
            live_units.append(live_sources.read_units)
        goal_units = []  # a click on a goal: its keys, then one key's values (the goal's own props dimension)
        for _ in range(2):
            keys_sources, values_sources = sources(names, client), sources(names, client)
            keys = service.breakdown(keys_sources, SITE, TZ, days, "event:props", limit=100, cursor=None,
                                     filters="event:goal==Signup")
            plans = service.breakdown(values_sources, SITE, TZ, days, "event:props:plan", limit=100, cursor=None,
                                      filters="event:goal==Signup")
            assert [r.value for r in keys.results] == ["plan"] and plans.results
            goal_units.append((keys_sources.read_units, values_sources.read_units))
        mixed = sources(names, client)  # the same key over every event, first query (what a goal reads instead)
        service.breakdown(mixed, SITE, TZ, DateRange(FIRST, LAST - timedelta(days=1), TZ), "event:props:plan",
                          limit=100, cursor=None)
        chart_sources = sources(names, client)  # the dashboard's chart: a point per day
        chart = service.timeseries(chart_sources, SITE, TZ, days, service.Interval.day)
        assert len(chart.results) == DAYS
        per_day = sources(names, client)  # the previous plan: every day's rollup, one by one
        per_day.rollups.read_totals(SITE, Grain.day, day_bounds(FIRST, TZ)[0], day_bounds(LAST, TZ)[1])
        cpu = {kept: handler_cpu_per_overview(names, client, keep_answers=kept) for kept in (False, True)} \
            if total_events == SIZES[-1] else None
    return {"events": model["events"], "visitors": figures["again"][0].results["visitors"].value,
            "overview_units": figures["again"][2], "overview_first_units": figures["first"][2],
            "breakdown_units": figures["again"][3], "breakdown_first_units": figures["first"][3],
            "breakdown_rows": len(figures["again"][1].results), "day_rollups_units": per_day.rollups.read_units,
            "chart_units": chart_sources.read_units, "live_units": live_units, "goal_units": goal_units,
            "mixed_props_units": mixed.read_units,
            "raw_scan_units": model["raw_scan_units"], "handler_cpu_ms": cpu}


def run() -> list[dict[str, Any]]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Bench")
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    results = {n: measure(n) for n in SIZES}
    figures: list[dict[str, Any]] = []
    for kind in ("overview", "breakdown"):
        units = {n: results[n][f"{kind}_units"] for n in SIZES}
        first = {n: results[n][f"{kind}_first_units"] for n in SIZES}
        spread = max(units.values()) / min(units.values()) - 1
        for n in SIZES:
            figures.append({"name": f"web_read.{kind}_30d_read_units_{n // 1000}k_events", "value": units[n],
                            "unit": "RCU", "ok": None, "first_query": first[n],
                            "baseline": {"every_day_rollup": round(results[n]["day_rollups_units"], 1),
                                         "raw_scan": round(results[n]["raw_scan_units"], 1)},
                            "events": results[n]["events"], "visitors": results[n]["visitors"]})
        for n in SIZES:  # the first query of the range: computes its answer (and keeps it)
            figures.append({"name": f"web_read.{kind}_30d_read_units_first_query_{n // 1000}k_events",
                            "value": first[n], "unit": "RCU", "ok": None, "events": results[n]["events"]})
        large = units[SIZES[-1]] / units[SIZES[-2]] - 1
        figures.append({"name": f"web_read.{kind}_30d_read_units_spread_1k_to_1M", "value": round(spread, 3),
                        "unit": "(max/min - 1)", "budget": "<= 0.10", "ok": spread <= 0.10,
                        "spread_100k_to_1M": round(large, 3), "first_query_units": list(first.values()),
                        "first_query_spread": round(max(first.values()) / min(first.values()) - 1, 3),
                        "why": WHY[kind]})
    chart = {n: results[n]["chart_units"] for n in SIZES}
    for n in SIZES:
        figures.append({"name": f"web_read.daily_timeseries_30d_read_units_{n // 1000}k_events", "value": chart[n],
                        "unit": "RCU", "ok": None, "baseline": {"every_day_rollup": results[n]["day_rollups_units"]},
                        "why": "a sealed day's point is its mark: counters and visitor estimate"})
    for n in SIZES:
        first_live, again_live = results[n]["live_units"]
        figures.append({"name": f"web_read.breakdown_30d_through_today_read_units_{n // 1000}k_events",
                        "value": again_live, "unit": "RCU", "ok": None, "first_query": first_live,
                        "why": "the range reaches today: its 29 sealed days' values are kept merged, with their "
                               "visitor sketches (to union with today's), and today is read as it is"})
    for n in SIZES:
        (first_keys, first_values), (keys, values) = results[n]["goal_units"]
        figures.append({"name": f"web_read.goal_props_30d_read_units_{n // 1000}k_events", "value": keys + values,
                        "unit": "RCU", "ok": None, "first_query": first_keys + first_values,
                        "detail": {"keys": keys, "values": values, "first_keys": first_keys,
                                   "first_values": first_values},
                        "baseline": {"event_props_plan_every_event_first_query": results[n]["mixed_props_units"]},
                        "why": "a click on a goal: its keys (event:props) and one key's values, both filtered by "
                               "event:goal==Signup, read from the goal's own props dimension (one item per day) "
                               "and kept like any settled breakdown"})
    cpu = results[SIZES[-1]]["handler_cpu_ms"]
    figures.append({"name": "web_read.handler_cpu_per_overview_warm_1M_events", "value": round(cpu[False], 3),
                    "unit": "ms CPU", "ok": None, "kept_answers_ms": round(cpu[True], 3),
                    "detail": "30d overview + previous period through the whole handler, DynamoDB answers "
                              "replayed, computed from marks and spans"})
    figures.append({"name": "web_read.handler_cpu_per_overview_kept_answers_1M_events", "value": round(cpu[True], 3),
                    "unit": "ms CPU", "ok": None,
                    "detail": "the same, both periods read from their kept answers"})
    return figures
