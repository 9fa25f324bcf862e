"""Dirty marking: which buckets an event changes, and marking them so the sealer (re)seals them.

The aggregator marks from the DynamoDB stream of raw events; ingest and import also mark before
they acknowledge (see `Aggregator`), so that the range plan (`tally.web.query.range_plan`) sees
every acknowledged event's hour however far the stream lags.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.raw_store import BATCH, from_item
from tally.web.aggregate.visits import VISIT_GAP_MS
from tally.web.aggregate.zones import Grain, bucket_end, bucket_start

#: How late an event may arrive and still be sealed with its hour the first time.
LATENESS_MS = 2 * 60_000
def hour_due_at(start_ms: int, tz: str) -> int:
    return bucket_end(Grain.hour, start_ms, tz) + VISIT_GAP_MS + LATENESS_MS


def day_due_at(start_ms: int, tz: str) -> int:
    return bucket_end(Grain.day, start_ms, tz) + VISIT_GAP_MS + LATENESS_MS


def hours_touched(event: RawEvent, tz: str) -> set[int]:
    """Hours whose rollup an event can change: its own, the one a visit it precedes may start in,
    and the one a visit it continues may have started in (a late event lengthening a sealed visit:
    marked, that hour is read raw until resealed; a visit begun even earlier is corrected by the
    seal's cascade)."""
    return {bucket_start(Grain.hour, event.ts_ms + offset, tz) for offset in (-VISIT_GAP_MS, 0, VISIT_GAP_MS)}


@dataclass(frozen=True)
class Change:
    """A raw event as a stream record carries it, with its site's time zone, and the import batch
    that stored it (None for live events): that import marks its buckets once it has stored it."""

    event: RawEvent
    tz: str
    batch: str | None = None


def stream_change(record: dict[str, Any]) -> Change | None:
    """The raw event of a DynamoDB stream record; None for records that aren't new raw events."""
    image = record.get("dynamodb", {}).get("NewImage")
    if record.get("eventName") not in ("INSERT", "MODIFY") or not image or "n" not in image:
        return None  # removals (TTL, deletion) and dedupe claims change no rollup
    return Change(from_item(image), image.get("z", {}).get("S", "UTC"), image.get(BATCH, {}).get("S"))


#: A bucket due later than this needs no new mark: no seal of it can have started yet.
SKIP_MARGIN_MS = 10 * 60_000


def own_hour(event: RawEvent, tz: str) -> set[int]:
    """The event's own hour: all a live event needs marked before it is stored (its neighbours are
    not due before it is stored, so their seals read it; the stream marks them as well)."""
    return {bucket_start(Grain.hour, event.ts_ms, tz)}


@dataclass
class Aggregator:
    """Marks the hours that changed (and their days). A container remembers the due times it has seen,
    so that an hour receiving events all along is marked about once, not once per batch: until a
    bucket is nearly due, no seal can start, so the pending seal will read every event stored before it.

    The aggregator marks from the stream; ingest and import also mark before they acknowledge, so
    that the range plan sees an acknowledged event's hour however far the stream lags: ingest its
    event's own hour (`touched=own_hour`) before storing it, import every hour its events touch
    after storing them — one write per hour, not per event.

    An import's marks name its `batch`, as its stored events do. A bucket whose mark names the
    batch of every event of a stream batch that touches it was marked after those events were
    stored (the import stores all, then marks): any seal that missed them cannot settle, so the
    stream's aggregator skips it (one read per 100 buckets instead of a write each). If the import
    stopped between storing and marking, the mark names another batch or none: marked as usual.
    """

    marks: DirtyMarks
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    touched: Callable[[RawEvent, str], set[int]] = hours_touched
    #: The import batch whose marks these are (an importer's aggregator), named on every mark written.
    batch: str | None = None
    _due: dict[tuple[str, Grain, int], int] = field(default_factory=dict)

    def mark(self, changes: Iterable[Change]) -> int:
        """Touch every hour the events can change, once per hour per batch. Returns marks written."""
        touched: dict[tuple[str, Grain, int], str] = {}
        batches: dict[tuple[str, Grain, int], set[str | None]] = {}
        for change in changes:
            for hour in self.touched(change.event, change.tz):
                # The day first: while any of its hours is changed and not yet resealed, the day is
                # not current either, so a reader never takes a day rollup that misses an event.
                for key in ((change.event.site_id, Grain.day, bucket_start(Grain.day, hour, change.tz)),
                            (change.event.site_id, Grain.hour, hour)):
                    touched[key] = change.tz
                    batches.setdefault(key, set()).add(change.batch)
        now = self.now_ms()
        pending = [(key, tz) for key, tz in sorted(touched.items(), key=lambda kv: (kv[0][1] is Grain.hour, kv[0]))
                   if self._due.get(key, 0) - now <= SKIP_MARGIN_MS]
        imported = {key: next(iter(batches[key])) for key, _ in pending if len(batches[key]) == 1}
        asked = [key for key, batch in imported.items() if batch is not None]
        marked_by = self.marks.batches(asked) if asked else {}
        written = 0
        for (site_id, grain, start), tz in pending:
            key = (site_id, grain, start)
            if imported.get(key) is not None and marked_by.get(key) == imported[key]:
                continue  # marked by the import that stored these events, after storing them
            due_at = hour_due_at(start, tz) if grain is Grain.hour else day_due_at(start, tz)
            self._due[key] = self.marks.touch(site_id, tz, grain, start, due_at, batch=self.batch)
            written += 1
        if len(self._due) > 50_000:  # bounded memory: forget buckets long due
            self._due = {k: v for k, v in self._due.items() if v - now > SKIP_MARGIN_MS}
        return written


