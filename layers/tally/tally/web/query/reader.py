"""Carrying out a range plan: the rollups and raw events it names, as one rollup per piece.

Raw runs are computed as the sealer would: events from 30 minutes before the run (so a visit that
began earlier is not taken for a new one), and on after it until every visit that starts in the run
has ended (or up to now), so a visit is counted in the piece of its start with its whole duration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup import Rollup, compute_rollup
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.sealing import LOOKBACK_MS
from tally.web.aggregate.visits import VISIT_GAP_MS, build_visits
from tally.web.aggregate.zones import HOUR_MS, Grain, bucket_end, bucket_start
from tally.web.query.range_plan import MarkReader, RangePlan, join_adjacent, plan_range

MAX_LOOKAHEAD_MS = 24 * HOUR_MS


@dataclass
class StatsSources:
    marks: MarkReader
    rollups: RollupStore
    raw: RawEventStore
    now_ms: Callable[[], int]
    raw_events_read: int = 0

    def plan(self, site_id: str, site_tz: str, start_ms: int, end_ms: int, *, use_days: bool = True) -> RangePlan:
        return plan_range(site_id, site_tz, start_ms, end_ms, self.now_ms(), self.marks, use_days=use_days)

    def pieces(self, site_id: str, site_tz: str, plan: RangePlan, *, dimensions: bool) -> list[Rollup]:
        """One rollup per day, hour and raw hour piece of the plan, in time order."""
        read = self.rollups.read if dimensions else self.rollups.read_totals
        pieces: list[Rollup] = []
        for grain, spans in ((Grain.day, plan.days), (Grain.hour, plan.hours)):
            wanted = {start for start, _ in spans}
            for run_start, run_end in join_adjacent(spans):
                pieces.extend(r for r in read(site_id, grain, run_start, run_end) if r.start_ms in wanted)
        for run_start, run_end in plan.raw:
            pieces.extend(self._raw_run(site_id, site_tz, run_start, run_end, dimensions))
        return sorted(pieces, key=lambda r: r.start_ms)

    def _window(self, site_id: str, start_ms: int, end_ms: int) -> list[RawEvent]:
        events = list(self.raw.window(site_id, start_ms, end_ms))
        self.raw_events_read += len(events)
        return events

    def _raw_run(self, site_id: str, tz: str, start: int, end: int, dimensions: bool) -> Iterable[Rollup]:
        now = self.now_ms()
        window_end = min(end, now)
        events = self._window(site_id, start - LOOKBACK_MS, window_end)
        while True:  # read on until every visit that starts in the run has ended
            open_until = max((v.last.ts_ms + VISIT_GAP_MS for v in build_visits(events)
                              if start <= v.start_ms < end), default=0)
            if open_until <= window_end or window_end >= min(now, end + MAX_LOOKAHEAD_MS):
                break
            following = min(window_end + HOUR_MS, now)
            events.extend(self._window(site_id, window_end, following))
            window_end = following
        visits = build_visits(events)
        piece = start
        while piece < end:
            piece_end = min(bucket_end(Grain.hour, bucket_start(Grain.hour, piece, tz), tz), end)
            yield compute_rollup(site_id, Grain.hour, piece, piece_end, events, visits, with_dimensions=dimensions)
            piece = piece_end
