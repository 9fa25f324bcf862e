"""Ingest handler CPU per event, warm, in-process, with I/O stubbed (docs/design.md: <= 1 ms).

The whole Lambda handler runs — Powertools resolver, body parsing and validation, bot check, UA
parsing, source, page, visitor hash, raw item building — with the data stores replaced by
in-memory twins that do the same bookkeeping without network calls.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import time
from datetime import UTC, datetime
from typing import Any

from tally_dev.demo_traffic import USER_AGENTS as UAS  # the same realistic browsers as the demo
from tests.apigw import FakeContext, http_event
from tests.integration.handlers import load_handler_module


class MemoryRaw:
    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def put(self, event: Any, expires_at: int, *, tz: str = "UTC", client_id: str | None = None) -> bool:
        from tally.web.aggregate.raw_store import sort_key, to_item

        key = sort_key(event)
        if key in self.items:
            return False
        self.items[key] = to_item(event, expires_at, tz)
        return True


class MemoryMarks:
    """Dirty marks in memory: ingest marks an event's hour (about once per hour per container)."""

    def __init__(self) -> None:
        self.due: dict[tuple[Any, ...], int] = {}

    def touch(self, site_id: str, tz: str, grain: Any, start_ms: int, due_at_ms: int, *,
              batch: str | None = None) -> int:
        return self.due.setdefault((site_id, grain, start_ms), due_at_ms)


class MemorySites:
    def __init__(self, site: Any) -> None:
        self.site = site

    def by_domain(self, domain: str) -> Any:
        return self.site if domain == self.site.domain else None


class FixedSalts:
    def current_and_previous(self, now: datetime) -> Any:
        from tally.web.visitors.salts import DailySalt, SaltPair

        today = now.date()
        return SaltPair(DailySalt(today, b"k" * 32), None)


def run() -> list[dict[str, Any]]:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Bench")
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    from tally.sites.model import Site, SiteStatus
    from tally.web.ingest.service import Ingestor
    from tally.web.visitors.ids import VisitorIds

    module = load_handler_module("IngestFunction")
    now = datetime.now(UTC)
    site = Site(site_id="bench", org_id="o", domain="bench.test", timezone="UTC", retention_days=30,
                status=SiteStatus.active, created_at=now, updated_at=now)
    raw = MemoryRaw()
    module.ingestor = lambda: Ingestor(MemorySites(site), VisitorIds(FixedSalts()), raw,  # type: ignore[arg-type]
                                       MemoryMarks())
    rng = random.Random(3)
    events = []
    for i in range(3000):
        body = {"n": "pageview", "u": f"https://bench.test/docs/{rng.randrange(30)}?utm_source=x{rng.randrange(3)}",
                "d": "bench.test", "r": rng.choice(["https://www.google.com/", "", "https://news.ycombinator.com/"])}
        events.append(http_event("POST", "/api/event", body=json.dumps(body), source_ip=f"198.51.100.{i % 250}",
                                 headers={"user-agent": rng.choice(UAS), "content-type": "text/plain"}))
    context = FakeContext()
    # Logs and EMF metrics are still written (to a buffer): Lambda pays for them too.
    with contextlib.redirect_stdout(io.StringIO()):
        for event in events[:200]:  # warm: caches, imports, first-time UA parses
            module.lambda_handler(event, context)
        start = time.process_time()
        for event in events:
            module.lambda_handler(event, context)
        per_event_ms = (time.process_time() - start) * 1000 / len(events)
    return [{"name": "ingest.handler_cpu_per_event_warm", "value": round(per_event_ms, 3), "unit": "ms CPU",
             "budget": "<= 1", "ok": per_event_ms <= 1.0, "stored": len(raw.items)}]
