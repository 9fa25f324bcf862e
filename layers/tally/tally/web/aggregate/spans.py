"""Visitor spans: the visitors of runs of sealed days, so a long range unions two sketches, not 30.

A sparse table over a site's sealed days: the span (level k, ending on day e) is the union of the
visitor sketches of the 2**k days ending on e, for k = 1..MAX_LEVEL. HLL unions are idempotent,
so spans may overlap: a run of n >= 2 whole days is covered by ceil(n / 2**k) spans of the largest
level with 2**k <= n — two for any run up to 64 days. Counters (pageviews, visits, …) add up and
need no such trick: each sealed day's counters sit on its day mark.

Correctness does not depend on spans being up to date. A span records a digest of the (day,
sealed version) pairs it was built from; a reader computes the same digest from the day marks it
reads anyway (strongly consistent) and takes the span only when the two agree. A span built before
a late event, a reseal or a crash is never used, only replaced, so spans are written without
conditions and read eventually consistently. A day seal rebuilds the spans that contain the day,
before its mark is settled (with the version being sealed), so a crash leaves the day due and the
next seal rebuilds them: bounded work (at most 62 spans) and resumable.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from tally.platform.aws import DynamoTable, batch_get_eventually
from tally.platform.capacity import item_size
from tally.web.aggregate.sketch import VisitorSketch
from tally.web.aggregate.zones import Grain, day_bounds, day_of, same_bucket

if TYPE_CHECKING:
    from tally.web.aggregate.marks import DirtyMarks
    from tally.web.aggregate.rollup_store import RollupStore

MAX_LEVEL = 5  # spans of 2, 4, 8, 16 and 32 days


def span_partition(site_id: str) -> str:
    return f"{site_id}#span"


def span_days(end: date, level: int) -> list[date]:
    """The 2**level days of the span ending on `end`, oldest first."""
    width = 1 << level
    return [end - timedelta(days=width - 1 - i) for i in range(width)]


def cover(first: date, last: date) -> list[tuple[int, date]]:
    """(level, end day) of the spans covering the days [first, last]; level 0 is a single day."""
    count = (last - first).days + 1
    level = min(count.bit_length() - 1, MAX_LEVEL)
    width = 1 << level
    ends = []
    end = first + timedelta(days=width - 1)
    while end < last:
        ends.append(end)
        end += timedelta(days=width)
    ends.append(last)
    return [(level, end) for end in ends]


def digest(versions: Iterable[tuple[int, int]]) -> str:
    """Names the (day start, sealed version) pairs a span was built from."""
    text = ",".join(f"{start}:{version}" for start, version in sorted(versions))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Span:
    digest: str
    visitors: VisitorSketch


class SpanStore(DynamoTable):
    """Span items in the rollups table: `pk = <site>#span`, `sk = <level>#<end day start ms>`."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        super().__init__(table_name, client)
        self.read_units = 0.0
        self.items_read = 0
        self.write_units = 0.0

    @staticmethod
    def _key(site_id: str, level: int, end_start_ms: int) -> dict[str, Any]:
        return {"pk": {"S": span_partition(site_id)}, "sk": {"S": f"{level:02d}#{end_start_ms:013d}"}}

    def put(self, site_id: str, level: int, end_start_ms: int, span: Span) -> None:
        item = {**self._key(site_id, level, end_start_ms), "dg": {"S": span.digest},
                "hll": {"B": zlib.compress(span.visitors.to_bytes(), 9)}}
        self.client.put_item(TableName=self.table_name, Item=item)
        self.write_units += -(-item_size(item) // 1024)

    def get_many(self, site_id: str, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Span]:
        """Spans by (level, end day start); missing ones are left out. Eventually consistent: see above."""
        items, units = batch_get_eventually(self.client, self.table_name,
                                            [self._key(site_id, level, end) for level, end in dict.fromkeys(keys)])
        self.read_units += units
        self.items_read += len(items)
        found: dict[tuple[int, int], Span] = {}
        for item in items:
            level, end = item["sk"]["S"].split("#")
            found[(int(level), int(end))] = Span(item["dg"]["S"], VisitorSketch.from_bytes(
                zlib.decompress(bytes(item["hll"]["B"]))))
        return found


def rebuild_spans(site_id: str, tz: str, day_start_ms: int, version: int, *, marks: DirtyMarks,
                  rollups: RollupStore, spans: SpanStore, long_past: Callable[[int], bool]) -> int:
    """Rewrite every span that contains the day being sealed at `version`; returns spans written.

    A span is built only when each of its days is sealed and current (or never marked and
    `long_past(day start)`: no event ever landed in it); the others wait for their own days' seals.
    """
    day = day_of(day_start_ms, tz)
    reach = (1 << MAX_LEVEL) - 1
    window_start, window_end = day_bounds(day - timedelta(days=reach), tz)[0], day_bounds(day + timedelta(days=reach),
                                                                                             tz)[1]
    sealed: dict[int, int] = {}
    changed: set[int] = set()
    for mark in marks.states(site_id, Grain.day, window_start, window_end):
        if not same_bucket(Grain.day, mark.start_ms, mark.tz, tz):
            continue  # another zone's day (before a zone change): never part of this zone's spans
        if mark.sealed > 0 and mark.version == mark.sealed:
            sealed[mark.start_ms] = mark.sealed
        else:
            changed.add(mark.start_ms)
    sealed[day_start_ms] = version
    changed.discard(day_start_ms)

    def clean(start: int) -> bool:
        return start in sealed or (start not in changed and long_past(start))

    sketches: dict[int, VisitorSketch] | None = None
    written = 0
    for level in range(1, MAX_LEVEL + 1):
        for offset in range(1 << level):
            starts = [day_bounds(d, tz)[0] for d in span_days(day + timedelta(days=offset), level)]
            present = [(start, sealed[start]) for start in starts if start in sealed]
            if not present or not all(clean(start) for start in starts):
                continue
            if sketches is None:
                sketches = {r.start_ms: r.totals.visitors
                            for r in rollups.read_totals(site_id, Grain.day, window_start, window_end)}
            visitors = VisitorSketch.union(sketches[start] for start, _ in present if start in sketches)
            spans.put(site_id, level, starts[-1], Span(digest(present), visitors))
            written += 1
    return written
