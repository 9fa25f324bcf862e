"""Issue 10, point 4: right after importing 30,000 events, a query is exact or says it is not.

30,000 lines over three days (2026-09-01..03, America/Santiago) go through the real EventImport
handler (three calls of 10,000) into moto; the stream is never read, and nothing is sealed yet.
Queried at once, every overview, daily time series and page breakdown either

- is complete and equals the brute force over the lines (`Brute` of the import brute-force test), or
- says `"complete": false`, names the pending hours, and counts exactly the rest: its pageviews
  equal the lines outside the pending spans, its visits the visits starting outside them —

never a silent undercount (before this, the plan trusted marks only the stream writes: the
range read as empty). The raw read bound is set to 3,000 events a query here (the function's is
10,000: the same behaviour at a third of the test's CPU). A
bounded query asks for its pending hours to be sealed first: a sealer run cut short after a few
seals has sealed hours of those spans only. Once everything is sealed, every answer is complete
and equals the brute force.

30,000 events go through moto in-process here (not through the local cloud: far too slow there);
tests/e2e/web/test_queries_while_the_stream_is_held.py does a smaller import over HTTP.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tally.sites.model import SiteCreate
from tally.sites.service import create_site
from tally.sites.wiring import site_store
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain
from tests.integration.web.aggregate.test_pipeline_exactly_once import Clock
from tests.integration.web.query.test_imported_traffic_equals_brute_force import (
    EPOCH,
    ORG,
    TZ,
    Brute,
    between,
    custom,
    env,  # noqa: F401 - the fixture
    import_lines,
    local_ms,
    stats,
)

FIRST, LAST = date(2026, 9, 1), date(2026, 9, 3)
LINES = 30_000
PAGES = ["/", "/pricing", "/docs", "/blog/one", "/blog/two", "/signup"]


def traffic_between(start_ms: int, end_ms: int, count: int, *, domain: str = "shop.example",
                    seed: int = 10) -> list[dict[str, Any]]:
    """`count` import lines in [start_ms, end_ms): visitors of up to 12 events, with gaps either side
    of the 30-minute rule."""
    rng = random.Random(seed)
    lines: list[dict[str, Any]] = []
    visitor = 0
    while len(lines) < count:
        visitor += 1
        t = rng.randrange(start_ms, end_ms)
        for _ in range(rng.randint(1, 12)):
            if len(lines) == count or t >= end_ms:
                break
            name = "pageview" if rng.random() < 0.85 else "signup"
            lines.append({"id": f"b{len(lines)}", "name": name, "visitor": f"v{visitor}",
                          "timestamp": (EPOCH + timedelta(milliseconds=t)).isoformat(),
                          "url": f"https://{domain}{rng.choice(PAGES)}"})
            t += rng.choice([1_000, 60_000, 600_000, 1_799_000, 1_800_000, 2 * 3_600_000])
    return lines


def in_spans(ts_ms: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= ts_ms < end for start, end in spans)


def pending_spans(body: dict[str, Any]) -> list[tuple[int, int]]:
    def ms(text: str) -> int:
        return int(datetime.fromisoformat(text).timestamp() * 1000)

    return [(ms(s["from"]), ms(s["to"])) for s in body["pending"]["spans"]]


def assert_exact_or_says_so(body: dict[str, Any], brute: Brute, first: date, last: date,
                            figures: dict[str, Any]) -> bool:
    """The answer equals the brute force, or it is marked incomplete and exact outside its pending spans."""
    days = between(first, last)
    if body["complete"]:
        assert body["pending"] is None
        expected = brute.overview(days)
        # thousands of visitors: an HLL estimate (within 2 %); every other figure exact
        visitors, expected_visitors = figures.pop("visitors"), expected.pop("visitors")
        assert abs(visitors - expected_visitors) <= 0.02 * expected_visitors
        assert figures == expected
        return True
    spans = pending_spans(body)
    assert body["pending"]["hours"] >= len(spans) > 0 and body["pending"]["retry_after_s"] > 0
    pageviews = sum(h.name == "pageview" for h in brute.hits if days(h.day) and not in_spans(h.ts_ms, spans))
    visits = sum(1 for v in brute.visits if days(v.day) and not in_spans(v.hits[0].ts_ms, spans))
    assert (figures["pageviews"], figures["visits"]) == (pageviews, visits)
    return False


def overview_figures(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v["value"] for k, v in body["results"].items()}


def test_queries_right_after_a_30000_event_import_are_exact_or_say_what_they_lack(env, monkeypatch):  # noqa: F811
    from tally.web.query.settings import stats_settings

    aws = env
    monkeypatch.setenv("RAW_EVENTS_PER_QUERY", "3000")
    stats_settings.cache_clear()
    site = create_site(site_store(), ORG, SiteCreate(domain="shop.example", timezone=TZ)).site_id
    lines = traffic_between(local_ms(2026, 9, 1, offset_h=-4), local_ms(2026, 9, 4, offset_h=-4) - 3_600_000, LINES)
    for at in range(0, LINES, 10_000):
        import_lines(site, lines[at:at + 10_000])
    brute = Brute(lines)

    # at once: no stream record read, nothing sealed
    body = stats(site, "overview", **custom(FIRST, LAST))
    assert not assert_exact_or_says_so(body, brute, FIRST, LAST, overview_figures(body))  # 30,000 > the bound
    points = stats(site, "timeseries", interval="day", **custom(FIRST, LAST))
    for point in points["results"]:
        day = date.fromisoformat(point.pop("date"))
        assert_exact_or_says_so(points, brute, day, day, point)
    pages = stats(site, "breakdown", property="page", limit="100", **custom(FIRST, LAST))
    spans = [] if pages["complete"] else pending_spans(pages)
    counted = {}
    for h in brute.hits:
        if h.name == "pageview" and not in_spans(h.ts_ms, spans):
            counted[h.page] = counted.get(h.page, 0) + 1
    assert {r["value"]: r["pageviews"] for r in pages["results"]} == counted

    # the last day alone: its pending hours are asked to be sealed first
    body = stats(site, "overview", period="day", date=LAST.isoformat())
    assert not assert_exact_or_says_so(body, brute, LAST, LAST, overview_figures(body))
    wanted = pending_spans(body)
    now = int(datetime.now(UTC).timestamp() * 1000)
    marks, seals = DirtyMarks(aws["RollupsTable"]), iter(range(8))
    sealer = Sealer(marks, RawEventStore(aws["EventsTable"]), RollupStore(aws["RollupsTable"]), Clock(now))
    sealer.run(deadline=lambda: next(seals, None) is None)
    sealed = [m.start_ms for m in marks.states(site, Grain.hour, local_ms(2026, 8, 31, offset_h=-4),
                                               local_ms(2026, 9, 5, offset_h=-4)) if m.sealed]
    assert sealed and all(in_spans(start, wanted) for start in sealed)

    # everything sealed: complete and exact
    sealer.run(deadline=lambda: False)
    for first, last in ((FIRST, LAST), (LAST, LAST)):
        body = stats(site, "overview", **custom(first, last))
        assert assert_exact_or_says_so(body, brute, first, last, overview_figures(body))
