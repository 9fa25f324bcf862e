"""Carrying out a range plan: the rollups and raw events it names, as one rollup per piece.

Raw runs are computed as the sealer would (`tally.web.aggregate.sealing.visit_window`): events from
30 minutes before the run (so a visit that began earlier is not taken for a new one), and on after
it until every visit that starts in the run has ended (or up to now), so a visit is counted in the
piece of its start with its whole duration.

Raw reads are bounded: one query reads at most `raw_limit` raw events (a site's unsealed hours can
hold any number, e.g. right after a large import), and none after `read_until` (a share of the
invocation's time: a slow store must not turn into a timeout either). Raw runs are read newest first, in chunks of at
most RAW_CHUNK_HOURS hours; a chunk whose read would pass the bound is left out whole and recorded
in `pending`, so an answer is exact over everything but the pending spans, which it names (see
`tally.web.query.completeness`).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup import Rollup, Stats, compute_rollup
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.seal_requests import SealRequests
from tally.web.aggregate.sealing import visit_window
from tally.web.aggregate.spans import SpanStore, cover, digest, span_days
from tally.web.aggregate.visits import build_visits
from tally.web.aggregate.zones import (
    MINUTE_MS,
    Grain,
    bucket_end,
    bucket_start,
    day_bounds,
    day_of,
    minute_start,
)
from tally.web.query.answers import AnswerStore, SettledRange
from tally.web.query.range_plan import MarkReader, RangePlan, join_adjacent, plan_range

#: Raw runs are read in chunks of at most this many hours: the unit a bounded query leaves pending.
RAW_CHUNK_HOURS = 6
logger = Logger(child=True)


class RawReadLimit(Exception):
    """The query has read as many raw events as it may, or spent the time it may on them."""


@dataclass
class StatsSources:
    marks: MarkReader
    rollups: RollupStore
    raw: RawEventStore
    now_ms: Callable[[], int]
    spans: SpanStore | None = None
    answers: AnswerStore | None = None
    raw_events_read: int = 0
    #: The most raw events one query reads (None: unbounded); see the module docstring.
    raw_limit: int | None = None
    #: No raw event is read once `clock()` passes this (None: no time bound).
    read_until: float | None = None
    clock: Callable[[], float] = time.monotonic
    #: [start, end) spans left out because the raw read bound was reached: the answer lacks them.
    pending: list[tuple[int, int]] = field(default_factory=list)
    #: Where the pending spans are asked to be sealed first (None: not asked).
    seal_requests: SealRequests | None = None

    def ask_sealing(self, site_id: str) -> None:
        """Ask the sealer to seal the pending spans first; a hint, so a failure only goes to the log."""
        if not self.pending or self.seal_requests is None:
            return
        try:
            self.seal_requests.ask(site_id, self.pending, self.now_ms())
        except Exception:  # the answer stands without it; the sealer gets there anyway
            logger.exception("could not ask for the pending hours to be sealed first")

    @property
    def read_units(self) -> float:
        """DynamoDB read units so far: marks, rollups, spans and raw events."""
        units = float(getattr(self.marks, "read_units", 0.0)) + self.rollups.read_units + self.raw.read_units
        units += self.spans.read_units if self.spans is not None else 0.0
        return units + (self.answers.read_units if self.answers is not None else 0.0)

    def settled(self, site_id: str, plan: RangePlan, end_ms: int) -> SettledRange | None:
        """The plan of [plan.start_ms, end_ms) as a settled range — when it reads sealed, current days
        and nothing else (no open hour, no raw event, nothing after now), so its answers may be kept
        (see `tally.web.query.answers`); None when answers are off or the range is not settled."""
        if plan.hours or plan.raw or plan.end_ms != end_ms:
            return None
        return self.sealed_days(site_id, plan)

    def sealed_days(self, site_id: str, plan: RangePlan) -> SettledRange | None:
        """The plan's sealed, current days alone as a settled range, whatever else the plan reads:
        what is computed from those days only may be kept. None when answers are off."""
        if self.answers is None:
            return None
        return SettledRange(self.answers, site_id,
                            digest((start, mark.sealed) for start, mark in plan.day_marks.items()))

    def totals(self, site_id: str, site_tz: str, plan: RangePlan) -> Stats:
        """The plan's totals: sealed days' counters from their marks, their visitors from spans (two
        sketches for any run of up to 64 days, see `tally.web.aggregate.spans`), hours and raw as pieces.

        A day without counters on its mark, or a span missing or built from other versions, is read
        from the day rollups instead: slower, never wrong.
        """
        total = Stats()
        from_rollups: set[int] = {start for start, mark in plan.day_marks.items() if mark.counts is None}
        for mark in plan.day_marks.values():
            if mark.counts is not None:
                pageviews, events, visits, bounces, duration_ms = mark.counts[:5]
                total.merge(Stats(pageviews, events, visits, bounces, duration_ms))
        sketch_days = self._visitors_from_spans(site_id, site_tz, plan, total)
        from_rollups.update(start for start, _ in plan.days if start not in sketch_days)
        wanted = [span for span in plan.days if span[0] in from_rollups]
        unread = set(wanted)
        for run_start, run_end in join_adjacent(wanted):
            for rollup in self.rollups.read_totals(site_id, Grain.day, run_start, run_end):
                if (rollup.start_ms, rollup.end_ms) not in unread:
                    continue  # not wanted, or another zone's day of the same start and another length
                unread.discard((rollup.start_ms, rollup.end_ms))
                if plan.day_marks[rollup.start_ms].counts is None:
                    total.merge(rollup.totals)
                else:
                    total.visitors.merge(rollup.totals.visitors)
        # A day whose stored rollup is missing or of another extent: its counters are in, not its visitors
        for day_start, _ in unread:
            counts = plan.day_marks[day_start].counts
            if counts is not None:  # taken back: the day is read raw below, counters and all
                pageviews, events, visits, bounces, duration_ms = (-n for n in counts[:5])
                total.merge(Stats(pageviews, events, visits, bounces, duration_ms))
        rest = RangePlan(plan.start_ms, plan.end_ms, hours=plan.hours, raw=join_adjacent([*plan.raw, *unread]))
        for piece in self.pieces(site_id, site_tz, rest, dimensions=False):
            total.merge(piece.totals)
        return total

    def _visitors_from_spans(self, site_id: str, site_tz: str, plan: RangePlan, total: Stats) -> set[int]:
        """Merge the visitors of the plan's sealed days from spans into `total`; returns the days covered."""
        if self.spans is None:
            return set()
        blocks: list[tuple[int, int, list[int]]] = []  # level, end day start, day starts
        for run_start, run_end in join_adjacent([*plan.days, *plan.empty_days]):
            first, last = day_of(run_start, site_tz), day_of(run_end - 1, site_tz)
            if first == last:
                continue
            for level, end_day in cover(first, last):
                starts = [day_bounds(d, site_tz)[0] for d in span_days(end_day, level)]
                blocks.append((level, starts[-1], starts))
        if not blocks:
            return set()
        found = self.spans.get_many(site_id, [(level, end) for level, end, _ in blocks])
        covered: set[int] = set()
        for level, end, starts in blocks:
            present = [(start, plan.day_marks[start].sealed) for start in starts if start in plan.day_marks]
            span = found.get((level, end))
            if present and span is not None and span.digest == digest(present):
                total.visitors.merge(span.visitors)
                covered.update(start for start, _ in present)
        return covered

    def plan(self, site_id: str, site_tz: str, start_ms: int, end_ms: int, *, use_days: bool = True) -> RangePlan:
        return plan_range(site_id, site_tz, start_ms, end_ms, self.now_ms(), self.marks, use_days=use_days)

    def pieces(self, site_id: str, site_tz: str, plan: RangePlan, *, dimensions: bool,
               only: str | None = None) -> list[Rollup]:
        """One rollup per day, hour and raw hour piece of the plan, in time order.

        `dimensions` reads every dimension; `only` reads one (a breakdown) and leaves the rest unread.
        """
        def read(site: str, grain: Grain, start: int, end: int) -> list[Rollup]:
            if only is not None:
                return self.rollups.read_dimension(site, grain, only, start, end)
            if dimensions:
                return self.rollups.read(site, grain, start, end)
            return self.rollups.read_totals(site, grain, start, end)

        dimensions = dimensions or only is not None
        pieces: list[Rollup] = []
        unread: set[tuple[int, int]] = set()
        for grain, spans in ((Grain.day, plan.days), (Grain.hour, plan.hours)):
            wanted = set(spans)
            for run_start, run_end in join_adjacent(spans):
                for rollup in read(site_id, grain, run_start, run_end):
                    # only a stored bucket of the planned extent: another zone's bucket may share its
                    # start and differ in length (Kolkata's and Lord Howe's hour at a 30-minute DST shift)
                    if (rollup.start_ms, rollup.end_ms) in wanted:
                        pieces.append(rollup)
                        wanted.discard((rollup.start_ms, rollup.end_ms))
            unread |= wanted
        for run_start, run_end in self._raw_chunks(join_adjacent([*plan.raw, *unread]), site_tz):
            pieces.extend(self._bounded(run_start, run_end, lambda a, b: self._raw_run(site_id, site_tz, a, b,
                                                                                        dimensions)))
        return sorted(pieces, key=lambda r: r.start_ms)

    def minute_pieces(self, site_id: str, site_tz: str, plan: RangePlan) -> list[Rollup]:
        """Totals per minute: the packed minute rollups of sealed hours, raw events elsewhere (no days)."""
        pieces: list[Rollup] = []
        # not the minutes packed under another zone's hours, nor those of another zone's hour of the
        # same start and another length: each sealed hour's own minutes only
        extents = dict(plan.hours)
        for run_start, run_end in join_adjacent(plan.hours):
            pieces.extend(self.rollups.read_minutes(site_id, run_start, run_end, hours=extents))
        for run_start, run_end in self._raw_chunks(plan.raw, site_tz):
            pieces.extend(self._bounded(run_start, run_end, lambda a, b: self._raw_run(site_id, site_tz, a, b, False,
                                                                                        minutes=True)))
        return sorted(pieces, key=lambda r: r.start_ms)

    @staticmethod
    def _raw_chunks(runs: list[tuple[int, int]], tz: str) -> list[tuple[int, int]]:
        """The raw runs cut into chunks of at most RAW_CHUNK_HOURS site hours, newest first (today's
        open hours are read before a backlog of older ones)."""
        chunks: list[tuple[int, int]] = []
        for run_start, run_end in runs:
            start = run_start
            while start < run_end:
                end = start
                for _ in range(RAW_CHUNK_HOURS):
                    end = min(bucket_end(Grain.hour, bucket_start(Grain.hour, end, tz), tz), run_end)
                    if end == run_end:
                        break
                chunks.append((start, end))
                start = end
        return sorted(chunks, reverse=True)

    def _bounded(self, start: int, end: int, compute: Callable[[int, int], Iterable[Rollup]]) -> list[Rollup]:
        """The chunk's pieces, or none and the chunk pending when the raw read bound is reached."""
        try:
            return list(compute(start, end))
        except RawReadLimit:
            self.pending.append((start, end))
            return []

    def recent(self, site_id: str, start_ms: int, end_ms: int) -> Iterator[RawEvent]:
        """The raw events of [start_ms, end_ms), newest first, within the query's raw read bound; when
        the bound stops the read, the span not read ([start_ms, the oldest instant read]) is pending."""
        oldest = end_ms
        try:
            for event in self._window(site_id, start_ms, end_ms, newest_first=True):
                oldest = event.ts_ms
                yield event
        except RawReadLimit:
            self.pending.append((start_ms, oldest + 1))

    def _window(self, site_id: str, start_ms: int, end_ms: int, *, newest_first: bool = False) -> Iterator[RawEvent]:
        for event in self.raw.window(site_id, start_ms, end_ms, newest_first=newest_first):
            if self.raw_limit is not None and self.raw_events_read >= self.raw_limit:
                raise RawReadLimit
            if self.read_until is not None and self.clock() > self.read_until:
                raise RawReadLimit
            self.raw_events_read += 1
            yield event

    def _raw_run(self, site_id: str, tz: str, start: int, end: int, dimensions: bool, *,
                 minutes: bool = False) -> Iterable[Rollup]:
        events, _ = visit_window(lambda a, b: self._window(site_id, a, b), start, end, self.now_ms())
        events.sort(key=lambda e: e.ts_ms)
        stamps = [e.ts_ms for e in events]
        visits = sorted((v for v in build_visits(events) if start <= v.start_ms < end), key=lambda v: v.start_ms)
        visit_starts = [v.start_ms for v in visits]
        piece = start
        while piece < end:
            if minutes:
                piece_end = min(minute_start(piece) + MINUTE_MS, end)
            else:
                piece_end = min(bucket_end(Grain.hour, bucket_start(Grain.hour, piece, tz), tz), end)
            in_piece = events[bisect_left(stamps, piece):bisect_left(stamps, piece_end)]
            starting = visits[bisect_left(visit_starts, piece):bisect_left(visit_starts, piece_end)]
            if in_piece or starting:
                yield compute_rollup(site_id, Grain.minute if minutes else Grain.hour, piece, piece_end, in_piece,
                                     starting, with_dimensions=dimensions)
            piece = piece_end

