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
from tally.web.aggregate.raw_store import from_item
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
    """A raw event as a stream record carries it, with its site's time zone."""

    event: RawEvent
    tz: str


def stream_change(record: dict[str, Any]) -> Change | None:
    """The raw event of a DynamoDB stream record; None for records that aren't new raw events."""
    image = record.get("dynamodb", {}).get("NewImage")
    if record.get("eventName") not in ("INSERT", "MODIFY") or not image or "n" not in image:
        return None  # removals (TTL, deletion) and dedupe claims change no rollup
    return Change(from_item(image), image.get("z", {}).get("S", "UTC"))


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
    """

    marks: DirtyMarks
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    touched: Callable[[RawEvent, str], set[int]] = hours_touched
    _due: dict[tuple[str, Grain, int], int] = field(default_factory=dict)

    def mark(self, changes: Iterable[Change]) -> int:
        """Touch every hour the events can change, once per hour per batch. Returns marks written."""
        touched: dict[tuple[str, Grain, int], str] = {}
        for change in changes:
            for hour in self.touched(change.event, change.tz):
                # The day first: while any of its hours is changed and not yet resealed, the day is
                # not current either, so a reader never takes a day rollup that misses an event.
                touched[(change.event.site_id, Grain.day, bucket_start(Grain.day, hour, change.tz))] = change.tz
                touched[(change.event.site_id, Grain.hour, hour)] = change.tz
        now = self.now_ms()
        written = 0
        for (site_id, grain, start), tz in sorted(touched.items(), key=lambda kv: (kv[0][1] is Grain.hour, kv[0])):
            if self._due.get((site_id, grain, start), 0) - now > SKIP_MARGIN_MS:
                continue
            due_at = hour_due_at(start, tz) if grain is Grain.hour else day_due_at(start, tz)
            self._due[(site_id, grain, start)] = self.marks.touch(site_id, tz, grain, start, due_at)
            written += 1
        if len(self._due) > 50_000:  # bounded memory: forget buckets long due
            self._due = {k: v for k, v in self._due.items() if v - now > SKIP_MARGIN_MS}
        return written


