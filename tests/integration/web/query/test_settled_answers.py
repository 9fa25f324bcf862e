"""Settled answers: a sealed range's overview and breakdown are kept, and the next identical query
reads the day marks and the kept answer only — never an answer computed from other sealed versions.

Same traffic and zone (Europe/Berlin across 2026-03-29) as the spans test; every kept answer is
compared with the brute-force oracle or with the same query computed without answers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.spans import SpanStore
from tally.web.aggregate.zones import Grain, day_bounds, day_of
from tally.web.query.answers import ROWS_PER_CHUNK, AnswerStore, answer_key, answer_partition
from tally.web.query.periods import DateRange
from tally.web.query.range_plan import DynamoMarkReader
from tally.web.query.reader import StatsSources
from tally.web.query.service import breakdown, encode_cursor, overview
from tests.conftest import moto_tables
from tests.integration.web.query.test_spans_read_side import FIRST, LAST, SITE, TZ, Pipeline, traffic
from tests.unit.web.aggregate.oracle import OracleEvent, expected_by

RANGE = DateRange(FIRST, LAST, TZ)
PAGES = 2 * ROWS_PER_CHUNK + 17  # a breakdown of three chunks


class AnsweringPipeline(Pipeline):
    def sources(self, *, answers: bool = True, site_answers: AnswerStore | None = None) -> StatsSources:
        return StatsSources(
            DynamoMarkReader(self.aws["RollupsTable"]),
            RollupStore(self.aws["RollupsTable"]),
            RawEventStore(self.aws["EventsTable"]),
            self.clock,
            SpanStore(self.aws["RollupsTable"]),
            answers=site_answers or (AnswerStore(self.aws["RollupsTable"]) if answers else None),
        )


def many_pages() -> list[OracleEvent]:
    """Traffic over PAGES distinct pages with uneven popularity (the sort order matters), in a few
    hours of five days (sealing is per hour: this keeps the fixture quick)."""
    rng = random.Random(5)
    hours = [day_bounds(FIRST + timedelta(days=d), TZ)[0] + h * 3_600_000 for d in (0, 7, 14, 19, 29) for h in (9, 15)]
    return [
        OracleEvent(
            f"p{i}",
            f"v{rng.randrange(90)}",
            rng.choice(hours) + rng.randrange(3_600_000),
            "pageview",
            f"/page-{min(int(rng.expovariate(1 / 30)), PAGES - 1)}",
            True,
            "Direct / None",
        )
        for i in range(900)
    ]


def expected(events: list[OracleEvent], days: DateRange = RANGE) -> dict[str, int]:
    exp = expected_by(events, lambda ts: days.start_ms <= ts < days.end_ms)[True]
    return {"visitors": len(exp.visitors), "visits": exp.visits, "pageviews": exp.pageviews}


def got(sources: StatsSources, days: DateRange = RANGE) -> dict[str, int]:
    body = overview(sources, SITE, TZ, days, compare=False).results
    return {name: int(body[name].value) for name in ("visitors", "visits", "pageviews")}


def all_rows(sources: StatsSources, name: str = "page", limit: int = 1000, days: DateRange = RANGE) -> list[dict]:
    rows, cursor = [], None
    while True:
        page = breakdown(sources, SITE, TZ, days, name, limit=limit, cursor=cursor)
        rows.extend(row.model_dump() for row in page.results)
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


@pytest.fixture(scope="module")
def sealed_once() -> Iterator[tuple[AnsweringPipeline, list[OracleEvent]]]:
    """One sealed month for the module's read-only tests (sealing it is the slow part)."""
    with moto_tables() as tables:
        pipeline = AnsweringPipeline(tables)
        events = [*traffic(), *many_pages()]
        pipeline.add(events)
        pipeline.seal()
        yield pipeline, events


@pytest.fixture
def sealed(sealed_once) -> tuple[AnsweringPipeline, list[OracleEvent]]:
    """The sealed month with no answer kept yet."""
    pipeline, events = sealed_once
    forget_answers(pipeline)
    return pipeline, events


def forget_answers(pipeline: AnsweringPipeline) -> None:
    client, table = RollupStore(pipeline.aws["RollupsTable"]).client, pipeline.aws["RollupsTable"]
    for owner in (SITE, "another-site"):
        items = client.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": answer_partition(owner)}},
        )["Items"]
        for item in items:
            client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})


def test_the_second_identical_overview_reads_the_marks_and_one_kept_answer(sealed):
    pipeline, events = sealed
    first = pipeline.sources()
    assert got(first) == expected(events)
    assert first.spans.items_read == 2 and first.answers.write_units > 0  # computed, then kept

    second = pipeline.sources()
    assert got(second) == expected(events)
    assert second.spans.items_read == 0 and second.rollups.items_read == 0 and second.raw_events_read == 0
    assert second.read_units == second.marks.read_units + 0.5  # the marks' query + one small answer
    assert second.answers.write_units == 0


def test_a_kept_breakdown_pages_exactly_like_a_computed_one_across_its_chunks(sealed):
    pipeline, _ = sealed
    computed = all_rows(pipeline.sources(answers=False))
    assert len(computed) > 2 * ROWS_PER_CHUNK
    assert all_rows(pipeline.sources()) == computed  # computed and kept on the first page
    for limit in (1, 7, ROWS_PER_CHUNK, ROWS_PER_CHUNK + 1, 1000):
        sources = pipeline.sources()
        assert all_rows(sources, limit=limit) == computed
        assert sources.rollups.items_read == 0 and sources.spans.items_read == 0


def test_a_first_page_reads_only_the_chunks_it_shows(sealed):
    pipeline, _ = sealed
    all_rows(pipeline.sources())  # keep the answer
    sources = pipeline.sources()
    page = breakdown(sources, SITE, TZ, RANGE, "page", limit=9, cursor=None)
    assert len(page.results) == 9 and page.next_cursor is not None
    assert sources.answers.read_units == 0.5  # one chunk of ~50 short rows, eventually consistent
    assert sources.rollups.read_units == 0


def test_a_late_event_is_counted_at_once_and_the_reseal_replaces_the_kept_answers(aws):
    pipeline, events = AnsweringPipeline(aws), traffic()  # its own month: this test changes it
    pipeline.add(events)
    pipeline.seal()
    assert got(pipeline.sources()) == expected(events)
    before_rows = all_rows(pipeline.sources())
    late = OracleEvent(
        "late",
        "latecomer",
        day_bounds(date(2026, 3, 29), TZ)[0] + 5 * 3_600_000,
        "pageview",
        "/page-3",
        True,
        "Direct / None",
    )
    pipeline.add([late])

    # marked, not resealed: the range is not settled, so the kept answers are not read
    sources = pipeline.sources()
    assert got(sources) == expected([*events, late])
    assert sources.answers.read_units == 0 and sources.raw_events_read > 0
    late_rows = all_rows(pipeline.sources())
    assert late_rows != before_rows and all_rows(pipeline.sources(answers=False)) == late_rows

    pipeline.seal()  # new sealed version: the old answers' digest no longer matches
    sources = pipeline.sources()
    assert got(sources) == expected([*events, late])
    assert sources.spans.items_read == 2 and sources.answers.write_units > 0  # recomputed, kept again
    assert all_rows(pipeline.sources()) == late_rows
    assert got(pipeline.sources()) == expected([*events, late])


def test_an_answer_kept_for_other_sealed_versions_is_never_served(sealed):
    pipeline, events = sealed
    store = AnswerStore(pipeline.aws["RollupsTable"])
    key = answer_key("overview", FIRST.isoformat(), LAST.isoformat(), TZ)
    store.put(
        SITE,
        key,
        "some-other-digest",
        [{"visitors": 1, "visits": 1, "pageviews": 1, "views_per_visit": 1.0, "bounce_rate": 0, "visit_duration": 0}],
    )
    assert got(pipeline.sources()) == expected(events)


def test_ranges_reaching_today_or_the_future_are_computed_every_time(sealed):
    pipeline, events = sealed
    today = day_of(pipeline.clock(), TZ)
    for days in (DateRange(LAST, today, TZ), DateRange(LAST, today + timedelta(days=3), TZ)):
        for _ in range(2):
            sources = pipeline.sources()
            assert got(sources, days) == expected(events, days)
            assert sources.answers.read_units == 0 and sources.answers.write_units == 0


def test_one_sites_answer_is_never_another_sites(sealed):
    pipeline, events = sealed
    assert got(pipeline.sources()) == expected(events)  # kept for SITE
    sources = pipeline.sources()
    body = overview(sources, "another-site", TZ, RANGE, compare=False).results
    assert body["visitors"].value == 0 and body["pageviews"].value == 0
    assert breakdown(pipeline.sources(), "another-site", TZ, RANGE, "page", limit=10, cursor=None).results == []


class RefusingClient:
    """A DynamoDB client whose writes are throttled: keeping an answer fails."""

    def __init__(self, real) -> None:
        self.real = real

    def put_item(self, **_kwargs):
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "PutItem"
        )

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_an_answer_that_cannot_be_kept_still_answers(sealed):
    pipeline, events = sealed
    table = pipeline.aws["RollupsTable"]
    refusing = AnswerStore(table, RefusingClient(RollupStore(table).client))
    assert got(pipeline.sources(site_answers=refusing)) == expected(events)
    assert all_rows(pipeline.sources(site_answers=refusing), limit=10) == all_rows(pipeline.sources(answers=False))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.integers(0, 29),
    width=st.integers(1, 30),
    limit=st.integers(1, 130),
    offset=st.integers(0, 130),
    name=st.sampled_from(["page", "entry_page", "source", "event:name"]),
    live=st.booleans(),
)
def test_any_kept_answer_equals_the_computed_one(sealed, first, width, limit, offset, name, live):
    pipeline, _ = sealed
    last = day_of(pipeline.clock(), TZ) if live else min(LAST, FIRST + timedelta(days=first + width - 1))
    days = DateRange(FIRST + timedelta(days=first), last, TZ)  # live: through today (kept sealed days + today)
    computed = all_rows(pipeline.sources(answers=False), name, days=days)
    offset = min(offset, max(len(computed) - 1, 0))  # cursors only ever point inside the rows
    keep = pipeline.sources()
    assert overview(keep, SITE, TZ, days, compare=True) == overview(
        pipeline.sources(answers=False), SITE, TZ, days, compare=True
    )
    all_rows(keep, name, days=days)
    sources = pipeline.sources()
    cursor = encode_cursor(offset, name, days) if offset else None
    page = breakdown(sources, SITE, TZ, days, name, limit=limit, cursor=cursor)
    assert [row.model_dump() for row in page.results] == computed[offset : offset + limit]
    assert (page.next_cursor is not None) == (offset + limit < len(computed))
    if not live or first < 29:  # (a live range with one sealed day keeps nothing: it reads that day)
        assert sources.rollups.items_read == 0 and sources.spans.items_read == 0
    assert overview(pipeline.sources(), SITE, TZ, days, compare=True) == overview(
        pipeline.sources(answers=False), SITE, TZ, days, compare=True
    )


class DayReads(RollupStore):
    """A rollup store that notes which grains were read for a breakdown."""

    def __init__(self, table_name: str) -> None:
        super().__init__(table_name)
        self.grains: list[str] = []

    def read_dimension(self, site_id, grain, name, start_ms, end_ms):
        self.grains.append(grain.value)
        return super().read_dimension(site_id, grain, name, start_ms, end_ms)


def test_a_range_reaching_today_keeps_its_sealed_days_merged_and_adds_today(aws):
    pipeline = AnsweringPipeline(aws)
    today = LAST + timedelta(days=5)
    morning = day_bounds(today, TZ)[0] + 8 * 3_600_000
    todays = [OracleEvent(f"t{i}", f"u{i % 7}", morning + i * 600_000, "pageview", ["/", "/docs", "/new"][i % 3], True,
                          "Direct / None") for i in range(20)]
    events = [*traffic(), *todays]
    pipeline.add(events)
    pipeline.clock.ms = morning + 3 * 3_600_000 + 20 * 60_000  # 11:20: today's first hours sealed, the rest raw
    pipeline.seal()
    live = DateRange(FIRST + timedelta(days=10), today, TZ)

    def rows(answers: bool = True) -> tuple[list[dict], StatsSources]:
        sources = pipeline.sources(answers=answers)
        sources.rollups = DayReads(aws["RollupsTable"])
        return [r.model_dump() for r in breakdown(sources, SITE, TZ, live, "page", limit=100, cursor=None).results], \
            sources

    computed, _ = rows(answers=False)
    assert {r["value"] for r in computed} >= {"/new", "/docs", "/"}
    first, sources = rows()
    assert first == computed and Grain.day.value in sources.rollups.grains and sources.answers.write_units > 0
    again, sources = rows()
    assert again == computed
    assert Grain.day.value not in sources.rollups.grains and sources.answers.write_units == 0  # the sealed days: kept
    assert sources.raw_events_read > 0  # today's open hours are still read as they are

    late = OracleEvent("late", "latecomer", day_bounds(LAST, TZ)[0] + 5 * 3_600_000, "pageview", "/late", True,
                       "Direct / None")
    pipeline.add([late])  # a sealed day changes: it leaves the kept days until resealed
    changed, sources = rows()
    assert changed == rows(answers=False)[0] and "/late" in {r["value"] for r in changed}
    pipeline.seal()
    resealed, sources = rows()
    assert resealed == changed == rows(answers=False)[0] and Grain.day.value in sources.rollups.grains  # new digest
    again, sources = rows()
    assert again == changed and Grain.day.value not in sources.rollups.grains


def test_values_with_their_sketches_survive_being_kept_in_parts():
    from tally.web.aggregate.rollup import Stats
    from tally.web.aggregate.sketch import VisitorSketch
    from tally.web.query.answers import decode_values, encode_values

    values = {}
    for v in range(300):
        sketch = VisitorSketch()
        sketch.add_all(f"visitor-{v}-{i}" for i in range(v * 7))
        values[f"/page-{v}"] = Stats(v, v + 1, v + 2, v // 2, v * 1000, sketch)
    parts = encode_values(values)
    assert len(parts) > 1  # big sketches: more than one item's worth
    back = decode_values(parts)
    assert back.keys() == values.keys()
    for value, stats in values.items():
        assert back[value].counts() == stats.counts() and back[value].visitors.estimate() == stats.visitors.estimate()
    assert decode_values(encode_values({})) == {}
