"""Issue 5's bar: for the same imported traffic, the stats API equals a brute force over the NDJSON lines.

Ten days of seeded traffic (about 350 lines, 2026-09-01..10) for a site in America/Santiago, where
2026-09-06 has no midnight (2026-09-05 24:00 -04 is 01:00 -03), go through the real EventImport
handler in overlapping pieces (every line sent two or three times), are marked from the
EventsTable's stream by the Aggregator and sealed by the Sealer on a clock set to 2026-09-10 16:00:
nine days are sealed (day rollups), the tenth until the afternoon (hour rollups), the rest is only
marked (raw events). Then:

1. every overview (custom range, `7d`, `day` on the DST day and on the cut's day, `month`) and
   every daily time-series point equals the brute force;
2. after late lines land in sealed days (a lone visitor on the DST day, a new visit of a known
   visitor, a line lengthening a sealed visit within its first hour), marked but not resealed: the
   same, and every page / entry-page / exit-page breakdown row (followed through `next_cursor`);
3. all of it again once lines lengthening sealed visits into a later hour are imported and
   everything is resealed (the sealer's cascade included). Such a line also marks the hour before
   its own, so it counts before any reseal too: the test at the bottom pins this down.

The brute force reads only the lines, with docs/design.md's definitions and nothing from tally: a page is
`urlsplit(url).path`, a day is `zoneinfo`'s local date, visitors are distinct `visitor` ids, a visit
is a visitor's run of lines with every gap under 1,800 s, counted on the day it starts (with its
whole duration, even past the range); bounce: at most one interactive, non-`engagement` event;
duration: last - first line (bounces 0); entry / exit page: first / last pageview (the first / last
line's page in a visit without one).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from tally.sites.model import SiteCreate
from tally.sites.service import create_site
from tally.sites.wiring import site_store
from tally.web.aggregate.marking import Aggregator, stream_change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer, SealReport
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain
from tally.web.query.range_plan import DynamoMarkReader
from tests.apigw import FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module
from tests.integration.web.aggregate.test_pipeline_exactly_once import Clock, read_stream
from tests.integration.web.ingest.test_import_handler import send

TZ = "America/Santiago"
ZONE = ZoneInfo(TZ)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ORG, DOMAIN = "org-brute", "shop.example"
FIRST, LAST = date(2026, 9, 1), date(2026, 9, 10)
DST_DAY = date(2026, 9, 6)  # 2026-09-05 24:00 -04 is 2026-09-06 01:00 -03: the day starts at 01:00
GAP_MS = 1_800_000


def local_ms(*fields: int, offset_h: int) -> int:
    """A local wall time with its UTC offset spelled out (no guessing around the DST jump)."""
    return (datetime(*fields, tzinfo=UTC) - timedelta(hours=offset_h) - EPOCH) // timedelta(milliseconds=1)


CUT = local_ms(2026, 9, 10, 16, offset_h=-3)  # the sealer's clock: hours due before it sealed, the rest only marked


# -- the traffic -----------------------------------------------------------------------------------
PATHS = ["", "/", "/pricing", "/blog/", "/blog/tally-one", "/blog/tally-two", "/docs", "/docs/start", "/signup"]
HOSTS = ["https://shop.example", "https://www.shop.example", "https://WWW.Shop.Example", "http://shop.example:8080"]
SUFFIXES = ["", "", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=fall", "?ref=hn", "#pricing-table",
            "?q=1&page=2#top", "?"]
REFERRERS = [None, None, "https://www.google.com/search?q=tally", "https://news.ycombinator.com/item?id=1",
             "https://www.shop.example/blog/", "https://t.co/abc"]
GAPS_MS = [4_000, 40_000, 300_000, 900_000, 1_799_000, 1_799_999, 1_800_000, 1_800_001, 1_801_000,
           3 * 3_600_000, 86_400_000 + 120_000]


def stamp(ts_ms: int, rng: random.Random) -> str:
    """ISO 8601 with `Z`, `+00:00` or the local offset, milliseconds when there are some."""
    utc = EPOCH + timedelta(milliseconds=ts_ms)
    style = rng.randrange(3)
    if style == 0:
        return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{ts_ms % 1000:03d}" if ts_ms % 1000 else "") + "Z"
    moment = utc if style == 1 else utc.astimezone(ZONE)
    return moment.isoformat(timespec="milliseconds" if ts_ms % 1000 else "seconds")


class Traffic:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lines: list[dict[str, Any]] = []

    def line(self, visitor: str, ts_ms: int, name: str = "pageview", path: str | None = None, *,
             interactive: bool | None = None) -> None:
        rng = self.rng
        path = rng.choice(PATHS) if path is None else path
        row: dict[str, Any] = {"id": f"line-{len(self.lines)}", "timestamp": stamp(ts_ms, rng), "name": name,
                               "url": rng.choice(HOSTS) + path + rng.choice(SUFFIXES), "visitor": visitor}
        if (referrer := rng.choice(REFERRERS)) is not None:
            row["referrer"] = referrer
        if name == "signup" and rng.random() < 0.5:
            row["props"] = {"plan": rng.choice(["free", "pro"])}
        if interactive is not None:
            row["interactive"] = interactive
        self.lines.append(row)

    def random_visitor(self, visitor: str, start_ms: int, until_ms: int) -> None:
        rng = self.rng
        t = start_ms
        for _ in range(rng.choice([1, 1, 2, 3, 4, 6, 9, 14])):
            kind = rng.random()
            if kind < 0.72:
                self.line(visitor, t, interactive=False if rng.random() < 0.03 else None)
            elif kind < 0.84:
                self.line(visitor, t, "signup", interactive=False if rng.random() < 0.3 else None)
            elif kind < 0.92:
                self.line(visitor, t, "Outbound Link: Click", interactive=rng.choice([None, True, False]))
            else:
                self.line(visitor, t, "engagement", interactive=rng.choice([None, False]))
            t += rng.choice(GAPS_MS)
            if t >= until_ms:
                break


def traffic(seed: int) -> list[dict[str, Any]]:
    gen = Traffic(seed)
    until = local_ms(2026, 9, 11, 2, offset_h=-3)
    for n in range(60):  # starting in the daytime (fewer hours to seal keeps moto quick); nights are crafted
        day = FIRST + timedelta(days=gen.rng.randrange(10))
        start = datetime(day.year, day.month, day.day, gen.rng.randrange(9, 20), gen.rng.randrange(60),
                         gen.rng.randrange(60), tzinfo=ZONE)
        gen.random_visitor(f"visitor-{n}", (start - EPOCH) // timedelta(milliseconds=1), until)
    crafted: list[tuple[str, list[tuple[int, str, str, bool | None]]]] = [
        # a visit across the DST jump: 23:55 -04 then 01:10 -03 is 15 minutes later
        ("dst-crosser", [(local_ms(2026, 9, 5, 23, 40, offset_h=-4), "pageview", "/", None),
                         (local_ms(2026, 9, 5, 23, 55, offset_h=-4), "pageview", "/pricing", None),
                         (local_ms(2026, 9, 6, 1, 10, offset_h=-3), "pageview", "/signup", None),
                         (local_ms(2026, 9, 6, 1, 20, offset_h=-3), "signup", "/signup", None)]),
        # the last millisecond of 2026-09-05 and the first of 2026-09-06
        ("dst-last-ms", [(local_ms(2026, 9, 6, 0, offset_h=-4) - 1, "pageview", "/blog/", None)]),
        ("dst-first-ms", [(local_ms(2026, 9, 6, 1, offset_h=-3), "pageview", "/docs", None),
                          (local_ms(2026, 9, 6, 1, 29, 59, offset_h=-3) + 999, "pageview", "/docs/start", None)]),
        # the DST day ends at 00:00 -03: 00:20 -03 is the 7th (it would be the 6th at -04)
        ("dst-day-end", [(local_ms(2026, 9, 7, 0, 20, offset_h=-3), "pageview", "/docs", None)]),
        ("midnight", [(local_ms(2026, 9, 2, 23, 50, offset_h=-4), "pageview", "/", None),
                      (local_ms(2026, 9, 3, 0, 5, offset_h=-4), "pageview", "/blog/tally-one", None),
                      (local_ms(2026, 9, 3, 0, 20, offset_h=-4), "pageview", "/blog/tally-two", None)]),
        # starts before the range: its pageviews inside count, its visit does not
        ("range-start", [(local_ms(2026, 8, 31, 23, 45, offset_h=-4), "pageview", "/", None),
                         (local_ms(2026, 9, 1, 0, 10, offset_h=-4), "pageview", "/pricing", None)]),
        # starts on the last day and ends after it: counted on the 10th with its whole duration
        ("range-end", [(local_ms(2026, 9, 10, 23, 50, offset_h=-3), "pageview", "/docs", None),
                       (local_ms(2026, 9, 11, 0, 15, offset_h=-3), "pageview", "/docs/start", None)]),
        # a visit begun in a sealed hour that goes on past the sealer's clock
        ("cut-crosser", [(CUT - 80 * 60_000, "pageview", "/", None), (CUT - 55 * 60_000, "pageview", "/docs", None),
                         (CUT - 30 * 60_000, "pageview", "/docs/start", None),
                         (CUT - 5 * 60_000, "pageview", "/pricing", None),
                         (CUT + 20 * 60_000, "pageview", "/signup", None)]),
        # a custom event first: the entry page is the first pageview's, the exit the last pageview's
        ("custom-first", [(local_ms(2026, 9, 4, 10, offset_h=-4), "signup", "/signup", None),
                          (local_ms(2026, 9, 4, 10, 5, offset_h=-4), "pageview", "/pricing", None),
                          (local_ms(2026, 9, 4, 10, 6, offset_h=-4), "pageview", "/docs", None),
                          (local_ms(2026, 9, 4, 10, 7, offset_h=-4), "Outbound Link: Click", "/blog/", None)]),
        # sealed visits that late lines lengthen into the next hour (a visit of 10 minutes, and a bounce)
        ("stretched", [(local_ms(2026, 9, 2, 14, 40, offset_h=-4), "pageview", "/", None),
                       (local_ms(2026, 9, 2, 14, 50, offset_h=-4), "pageview", "/docs", None)]),
        ("stretched-bounce", [(local_ms(2026, 9, 7, 16, 50, offset_h=-3), "pageview", "/blog/", None)]),
        ("no-pageview", [(local_ms(2026, 9, 7, 9, offset_h=-3), "signup", "/signup", None),
                         (local_ms(2026, 9, 7, 9, 1, offset_h=-3), "Outbound Link: Click", "/docs", None)]),
        # bounces despite two events: one of them is not interactive, or an engagement event
        ("non-interactive", [(local_ms(2026, 9, 3, 15, offset_h=-4), "pageview", "/", None),
                             (local_ms(2026, 9, 3, 15, 10, offset_h=-4), "signup", "/", False)]),
        ("engaged", [(local_ms(2026, 9, 9, 15, offset_h=-3), "pageview", "/blog/", None),
                     (local_ms(2026, 9, 9, 15, 10, offset_h=-3), "engagement", "/blog/", None)]),
        # the gap rule's edges: 1,799.999 s continues a visit, 1,800 s starts a new one
        ("gaps", [(local_ms(2026, 9, 2, 12, offset_h=-4), "pageview", "/", None),
                  (local_ms(2026, 9, 2, 12, 29, 59, offset_h=-4) + 999, "pageview", "/pricing", None),
                  (local_ms(2026, 9, 2, 12, 59, 59, offset_h=-4) + 999, "pageview", "/docs", None),
                  (local_ms(2026, 9, 2, 13, 30, 0, offset_h=-4), "pageview", "/signup", None)]),
    ]
    for visitor, events in crafted:
        for ts_ms, name, path, interactive in events:
            gen.line(visitor, ts_ms, name, path, interactive=interactive)
    gen.rng.shuffle(gen.lines)
    return gen.lines


def late_lines(start_id: int) -> list[dict[str, Any]]:
    """Lines imported after their days were sealed: a lone visitor on the DST day, a new visit of a
    known visitor on the 3rd, and on the 4th a line that lengthens a sealed visit within its first hour."""
    return [line_at(f"late-{start_id + i}", visitor, ts, path) for i, (visitor, ts, path) in enumerate([
        ("late-lone", local_ms(2026, 9, 6, 10, offset_h=-3), "/late"),
        ("midnight", local_ms(2026, 9, 3, 18, offset_h=-4), "/pricing"),
        ("custom-first", local_ms(2026, 9, 4, 10, 20, offset_h=-4), "/late")])]


def lengthening_lines() -> list[dict[str, Any]]:
    """Late lines continuing sealed visits in the hour after the one they started in."""
    return [line_at("stretch-1", "stretched", local_ms(2026, 9, 2, 15, 15, offset_h=-4), "/late"),
            line_at("stretch-2", "stretched-bounce", local_ms(2026, 9, 7, 17, 10, offset_h=-3), "/late")]


def line_at(line_id: str, visitor: str, ts_ms: int, path: str) -> dict[str, Any]:
    return {"id": line_id, "timestamp": stamp(ts_ms, random.Random(line_id)), "name": "pageview",
            "url": f"https://www.{DOMAIN}{path}?utm_source=late", "visitor": visitor}


# -- the brute force -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """One NDJSON line as docs/design.md reads it."""

    line_id: str
    visitor: str
    ts_ms: int
    name: str
    page: str
    interactive: bool

    @property
    def day(self) -> date:
        return (EPOCH + timedelta(milliseconds=self.ts_ms)).astimezone(ZONE).date()

    @property
    def counts_for_bounce(self) -> bool:
        return self.interactive and self.name != "engagement"


def hit(line: dict[str, Any]) -> Hit:
    moment = datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))
    return Hit(line["id"], line["visitor"], (moment - EPOCH) // timedelta(milliseconds=1), line["name"],
               urlsplit(line["url"]).path or "/", line.get("interactive", True))


@dataclass(frozen=True)
class BruteVisit:
    hits: tuple[Hit, ...]

    @property
    def visitor(self) -> str:
        return self.hits[0].visitor

    @property
    def day(self) -> date:
        return self.hits[0].day

    @property
    def bounced(self) -> bool:
        return sum(h.counts_for_bounce for h in self.hits) <= 1

    @property
    def duration_ms(self) -> int:
        return self.hits[-1].ts_ms - self.hits[0].ts_ms

    @property
    def entry(self) -> str:
        return next((h.page for h in self.hits if h.name == "pageview"), self.hits[0].page)

    @property
    def exit(self) -> str:
        return next((h.page for h in reversed(self.hits) if h.name == "pageview"), self.hits[-1].page)


class Brute:
    def __init__(self, lines: Iterable[dict[str, Any]]) -> None:
        self.hits = list({h.line_id: h for h in map(hit, lines)}.values())
        by_visitor: dict[str, list[Hit]] = defaultdict(list)
        for h in self.hits:
            by_visitor[h.visitor].append(h)
        self.visits: list[BruteVisit] = []
        for hits in by_visitor.values():
            hits.sort(key=lambda h: h.ts_ms)
            assert len({h.ts_ms for h in hits}) == len(hits), "a visitor's lines need distinct times"
            run = [hits[0]]
            for h in hits[1:]:
                if h.ts_ms - run[-1].ts_ms >= GAP_MS:
                    self.visits.append(BruteVisit(tuple(run)))
                    run = []
                run.append(h)
            self.visits.append(BruteVisit(tuple(run)))

    def overview(self, days: Callable[[date], bool]) -> dict[str, int | float]:
        hits = [h for h in self.hits if days(h.day)]
        visits = [v for v in self.visits if days(v.day)]
        pageviews = sum(h.name == "pageview" for h in hits)
        return {"visitors": len({h.visitor for h in hits}), "visits": len(visits), "pageviews": pageviews,
                **rates(pageviews, visits)}

    def rows(self, prop: str, days: Callable[[date], bool]) -> dict[str, dict[str, int | float]]:
        if prop == "page":
            pages: dict[str, list[Hit]] = defaultdict(list)
            for h in self.hits:
                if days(h.day) and h.name == "pageview":
                    pages[h.page].append(h)
            return {page: {"visitors": len({h.visitor for h in hits}), "pageviews": len(hits)}
                    for page, hits in pages.items()}
        groups: dict[str, list[BruteVisit]] = defaultdict(list)
        for v in self.visits:
            if days(v.day):
                groups[getattr(v, prop.removesuffix("_page"))].append(v)
        return {value: {"visitors": len({v.visitor for v in visits}), "visits": len(visits),
                        "bounce_rate": rates(0, visits)["bounce_rate"],
                        "visit_duration": rates(0, visits)["visit_duration"]}
                for value, visits in groups.items()}


def rates(pageviews: int, visits: list[BruteVisit]) -> dict[str, int | float]:
    if not visits:
        return {"views_per_visit": 0.0, "bounce_rate": 0, "visit_duration": 0}
    return {"views_per_visit": round(pageviews / len(visits), 2),
            "bounce_rate": round(100 * sum(v.bounced for v in visits) / len(visits)),
            "visit_duration": round(sum(v.duration_ms for v in visits) / 1000 / len(visits))}


def between(first: date, last: date) -> Callable[[date], bool]:
    return lambda day: first <= day <= last


# -- Tally, through its handlers -------------------------------------------------------------------
@pytest.fixture
def env(aws):
    """The import and stats functions' settings against the template's tables in moto."""
    from tally.web.enrich.settings import enrich_settings
    from tally.web.enrich.wiring import geoip_reader
    from tally.web.ingest.settings import ingest_settings
    from tally.web.query.settings import stats_settings

    caches = [ingest_settings, enrich_settings, geoip_reader, stats_settings,
              load_handler_module("EventImportFunction").importer]
    for cached in caches:
        cached.cache_clear()
    yield aws
    for cached in caches:
        cached.cache_clear()


def stats(site: str, endpoint: str, **query: str) -> dict[str, Any]:
    module = load_handler_module("StatsFunction")
    event = http_event("GET", f"/api/v1/sites/{site}/stats/{endpoint}",
                       route="/api/v1/sites/{site_id}/stats/" + endpoint, query=query,
                       claims=caller_claims(ORG), path_parameters={"site_id": site})
    response = module.lambda_handler(event, FakeContext())
    body = json.loads(response["body"])
    assert response["statusCode"] == 200, body
    return body


def custom(first: date, last: date) -> dict[str, str]:
    return {"period": "custom", "from": first.isoformat(), "to": last.isoformat()}


def breakdown_rows(site: str, prop: str, **query: str) -> dict[str, dict[str, int | float]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        body = stats(site, "breakdown", property=prop, limit="5", **query, **({"cursor": cursor} if cursor else {}))
        rows += body["results"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len({r["value"] for r in rows}) == len(rows), f"{prop}: a value on two pages"
    assert [r["visitors"] for r in rows] == sorted((r["visitors"] for r in rows), reverse=True), prop
    return {r.pop("value"): {k: v for k, v in r.items() if v is not None} for r in rows}


class Pipeline:
    """The EventsTable stream into the Aggregator's marks; the Sealer on a clock."""

    def __init__(self, aws, site: str) -> None:
        self.aws, self.site = aws, site
        self.marks = DirtyMarks(aws["RollupsTable"])
        self.seen: set[str] = set()

    def mark(self) -> int:
        records = [r for r in read_stream(self.aws["EventsTable"])
                   if r["dynamodb"]["SequenceNumber"] not in self.seen
                   and self.site in r["dynamodb"]["Keys"]["pk"]["S"]]
        self.seen.update(r["dynamodb"]["SequenceNumber"] for r in records)
        Aggregator(self.marks).mark(c for c in map(stream_change, records) if c is not None)
        return len(records)

    def seal(self, now_ms: int) -> SealReport:
        return Sealer(self.marks, RawEventStore(self.aws["EventsTable"]), RollupStore(self.aws["RollupsTable"]),
                      Clock(now_ms)).run(deadline=lambda: False)

    def day_marks(self) -> dict[date, bool]:
        reader = DynamoMarkReader(self.aws["RollupsTable"])
        marks = reader.marks(self.site, Grain.day, local_ms(2026, 8, 31, offset_h=-4),
                             local_ms(2026, 9, 12, offset_h=-3))
        return {(EPOCH + timedelta(milliseconds=s)).astimezone(ZONE).date(): m.current for s, m in marks.items()}


def import_lines(site: str, lines: list[dict[str, Any]]) -> None:
    status, body = send(site, lines, org=ORG)
    assert (status, body["accepted"], body["rejected"]) == (202, len(lines), 0), body["errors"][:3]


def assert_stats_equal_brute_force(site: str, brute: Brute, *, breakdowns: bool = True) -> None:
    def overview(**query: str) -> dict[str, int | float]:
        return {k: v["value"] for k, v in stats(site, "overview", **query)["results"].items()}

    whole = between(FIRST, LAST)
    assert overview(**custom(FIRST, LAST)) == brute.overview(whole)
    assert overview(period="7d", date="2026-09-09") == brute.overview(between(date(2026, 9, 3), date(2026, 9, 9)))
    for day in (DST_DAY, LAST):  # no midnight; sealed until the cut, then raw
        assert overview(period="day", date=day.isoformat()) == brute.overview(between(day, day)), day
    assert overview(period="month", date="2026-09-20") == brute.overview(between(date(2026, 9, 1),
                                                                                  date(2026, 9, 30)))

    points = stats(site, "timeseries", interval="day", **custom(FIRST, LAST))["results"]
    assert [p["date"] for p in points] == [(FIRST + timedelta(days=i)).isoformat() for i in range(10)]
    for point in points:
        day = date.fromisoformat(point.pop("date"))
        assert point == brute.overview(between(day, day)), day

    for interval in ("week", "month"):  # sealed days from marks and spans, joined by the open day's pieces
        for point in stats(site, "timeseries", interval=interval, **custom(FIRST, LAST))["results"]:
            start = date.fromisoformat(point.pop("date"))
            end = start + timedelta(days=6) if interval == "week" else \
                (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            assert point == brute.overview(between(max(start, FIRST), min(end, LAST))), (interval, start)

    if not breakdowns:  # (to keep moto's time down where the next step checks them too)
        return
    for prop in ("page", "entry_page", "exit_page"):
        assert breakdown_rows(site, prop, **custom(FIRST, LAST)) == brute.rows(prop, whole), prop
    assert breakdown_rows(site, "entry_page", period="day", date=DST_DAY.isoformat()) == \
        brute.rows("entry_page", between(DST_DAY, DST_DAY))


@pytest.mark.slow
def test_stats_of_imported_traffic_equal_a_brute_force_over_its_lines_across_a_dst_change(env):
    site = create_site(site_store(), ORG, SiteCreate(domain=DOMAIN, timezone=TZ, retention_days=3650)).site_id
    lines = traffic(seed=2026)
    third = len(lines) // 3
    for piece in (lines[:2 * third], lines[third:], lines):  # overlapping pieces: every line is sent 2 or 3 times
        import_lines(site, piece)
    pipeline = Pipeline(env, site)
    assert pipeline.mark() >= len(lines)
    report = pipeline.seal(CUT)
    assert report.sealed and report.days
    sealed_days = pipeline.day_marks()
    assert all(sealed_days.get(date(2026, 9, d)) for d in range(1, 10)), sealed_days  # nine days are sealed
    assert not sealed_days.get(LAST)  # the cut's day is not: sealed hours, then raw events
    brute = Brute(lines)
    assert len({h.visitor for h in brute.hits}) < 1_000  # sketches are exact here
    assert_stats_equal_brute_force(site, brute, breakdowns=False)

    late = late_lines(len(lines))  # into sealed days, only marked
    import_lines(site, late)
    pipeline.mark()
    assert not any(pipeline.day_marks()[d] for d in (date(2026, 9, 3), date(2026, 9, 4), DST_DAY))
    assert_stats_equal_brute_force(site, Brute([*lines, *late]))

    lengthening = lengthening_lines()  # see the last test: right before the reseal too
    import_lines(site, lengthening)
    pipeline.mark()
    now = int(datetime.now(UTC).timestamp() * 1000)
    for run in range(4):  # reseals and their cascade; a day waits for its hours (postponed 5 minutes)
        pipeline.seal(now + run * 10 * 60_000)
        if all(pipeline.day_marks().values()):
            break
    assert all(pipeline.day_marks().values()), pipeline.day_marks()
    assert_stats_equal_brute_force(site, Brute([*lines, *late, *lengthening]))


def test_a_late_line_lengthening_a_sealed_visit_into_the_next_hour_counts_before_any_reseal(env):
    site = create_site(site_store(), ORG, SiteCreate(domain=DOMAIN, timezone=TZ, retention_days=3650)).site_id
    lines = [line_at("a", "stretched", local_ms(2026, 9, 2, 14, 40, offset_h=-4), "/"),
             line_at("b", "stretched", local_ms(2026, 9, 2, 14, 50, offset_h=-4), "/docs"),
             line_at("c", "stretched-bounce", local_ms(2026, 9, 2, 16, 50, offset_h=-4), "/blog/")]
    import_lines(site, lines)
    pipeline = Pipeline(env, site)
    pipeline.mark()
    pipeline.seal(CUT)
    assert pipeline.day_marks()[date(2026, 9, 2)]
    lengthening = [line_at("d", "stretched", local_ms(2026, 9, 2, 15, 15, offset_h=-4), "/late"),
                   line_at("e", "stretched-bounce", local_ms(2026, 9, 2, 17, 10, offset_h=-4), "/late")]
    import_lines(site, lengthening)
    pipeline.mark()
    day = between(date(2026, 9, 2), date(2026, 9, 2))
    query = custom(date(2026, 9, 2), date(2026, 9, 2))
    got = {k: v["value"] for k, v in stats(site, "overview", **query)["results"].items()}
    assert (got, breakdown_rows(site, "exit_page", **query)) == \
        (Brute([*lines, *lengthening]).overview(day), Brute([*lines, *lengthening]).rows("exit_page", day))
