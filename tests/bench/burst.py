"""A burst of 1,000 tracker requests through the local cloud: every one answered 202 and stored."""

from __future__ import annotations

import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
REQUESTS = 1000


def run() -> list[dict[str, Any]]:
    from tally_dev.demo import load_demo_data
    from tally_dev.localcloud import LocalCloud

    with tempfile.TemporaryFile("w") as log, LocalCloud(port=0, log=log, max_workers=4) as cloud:
        demo = load_demo_data(cloud)
        with httpx.Client(base_url=cloud.url, timeout=60,
                          limits=httpx.Limits(max_connections=16, max_keepalive_connections=16)) as http:
            admin = {"Authorization": f"Bearer {demo.token('demo', 'org_admin')}"}
            http.post("/api/v1/sites", headers=admin, json={"domain": "burst.test"}).raise_for_status()

            def send(i: int) -> int:
                body = json.dumps({"n": "pageview", "u": f"https://burst.test/p{i % 20}", "d": "burst.test"})
                return http.post("/api/event", content=body, headers={
                    "Content-Type": "text/plain", "User-Agent": f"{CHROME} b{i % 50}"}).status_code

            started = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                statuses = list(pool.map(send, range(REQUESTS)))
            wall_s = time.perf_counter() - started
        cloud.delivery.settle()
        stored = 0
        for page in cloud.dynamodb.get_paginator("scan").paginate(TableName=cloud.tables["EventsTable"]):
            stored += sum(1 for item in page["Items"] if "n" in item)
        marked = sum(1 for d in cloud.delivery.deliveries("AggregatorFunction", None) for _ in d.ids)
    accepted = statuses.count(202)
    return [
        {"name": "burst_1000.accepted_202", "value": accepted, "unit": "requests", "budget": "== 1000",
         "ok": accepted == REQUESTS},
        {"name": "burst_1000.raw_events_stored", "value": stored, "unit": "events", "budget": "== 1000",
         "ok": stored == REQUESTS},
        {"name": "burst_1000.stream_records_aggregated", "value": marked, "unit": "records", "budget": ">= 1000",
         "ok": marked >= REQUESTS},
        {"name": "burst_1000.wall_seconds_local_cloud", "value": round(wall_s, 1), "unit": "s", "budget": "",
         "ok": None, "note": "informational only: the local cloud on a shared machine"},
    ]
