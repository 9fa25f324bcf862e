"""An import marks its buckets once: the stream's aggregator skips what the import marked after storing.

The skip must never lose a change: events whose import stopped before marking, a bucket last
marked by another batch, and a live event sharing a bucket with imported ones are all marked.
"""

from __future__ import annotations

import time

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.marking import Aggregator, Change, hours_touched, stream_change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.raw_store import HOUR_MS, RawEventStore
from tally.web.aggregate.zones import Grain, bucket_start
from tests.integration.web.aggregate.test_pipeline_exactly_once import read_stream
from tests.integration.web.ingest.test_import_handler import lines, send

EXPIRES = 4_000_000_000


def versions(marks: DirtyMarks, site_id: str) -> dict[tuple[Grain, int], int]:
    return {(m.grain, m.start_ms): m.version for grain in (Grain.hour, Grain.day)
            for m in marks.states(site_id, grain, 0, 2**42)}


def buckets(events: list[RawEvent], tz: str) -> set[tuple[Grain, int]]:
    hours = set().union(*(hours_touched(e, tz) for e in events))
    return {(Grain.hour, h) for h in hours} | {(Grain.day, bucket_start(Grain.day, h, tz)) for h in hours}


def stream_changes(table: str) -> list[Change]:
    return [c for c in map(stream_change, read_stream(table)) if c is not None]


def test_the_stream_writes_no_mark_for_the_hours_an_import_marked_after_storing_its_events(web_env, site):
    s = site("example.com", timezone="America/Santiago")
    assert send(s.site_id, lines(120))[0] == 202
    marks = DirtyMarks(web_env["RollupsTable"])
    before = versions(marks, s.site_id)

    changes = stream_changes(web_env["EventsTable"])
    assert {c.batch for c in changes} != {None}
    assert Aggregator(marks).mark(changes) == 0
    assert versions(marks, s.site_id) == before


def test_events_of_an_import_that_stopped_before_marking_are_marked_by_the_stream(web_env, site):
    s = site("example.com")
    events = [e.event for e in _imported(web_env, s, batch="stopped")]  # stored, never marked
    marks = DirtyMarks(web_env["RollupsTable"])

    Aggregator(marks).mark(stream_changes(web_env["EventsTable"]))

    assert versions(marks, s.site_id) == {bucket: 1 for bucket in buckets(events, s.timezone)}


def test_a_bucket_last_marked_by_another_batch_or_shared_with_a_live_event_is_marked_again(web_env, site):
    s = site("example.com")
    imported = _imported(web_env, s, batch="first")
    marks = DirtyMarks(web_env["RollupsTable"])
    Aggregator(marks, batch="first").mark(imported)  # the import marks after storing, as Importer.run does
    first = imported[0].event
    other = bucket_start(Grain.hour, first.ts_ms, s.timezone)
    Aggregator(marks, batch="second").mark([Change(first, s.timezone)])  # a later import names its batch
    live = RawEvent(event_id="live-1", site_id=s.site_id, ts_ms=imported[-1].event.ts_ms, name="pageview",
                    visitor="v-live", page="/", source="Direct / None")
    RawEventStore(web_env["EventsTable"]).put(live, EXPIRES, tz=s.timezone)
    before = versions(marks, s.site_id)

    Aggregator(marks).mark(stream_changes(web_env["EventsTable"]))

    after = versions(marks, s.site_id)
    again = {bucket for bucket in after if after[bucket] > before[bucket]}
    assert again == buckets([first], s.timezone) | buckets([live], s.timezone)
    assert (Grain.hour, other) in again and len(again) < len(after)


def _imported(web_env, s, *, batch: str) -> list[Change]:
    """Events over ten hours stored as an import stores them (under `batch`), nothing marked yet."""
    start = bucket_start(Grain.hour, int(time.time() * 1000), s.timezone) - 12 * HOUR_MS
    events = [RawEvent(event_id=f"e{i}", site_id=s.site_id, ts_ms=start + i * 20 * 60_000, name="pageview",
                       visitor=f"v{i % 3}", page="/", source="Direct / None") for i in range(30)]
    RawEventStore(web_env["EventsTable"]).put_many([(e, EXPIRES) for e in events], tz=s.timezone, batch=batch)
    return [Change(e, s.timezone, batch) for e in events]
