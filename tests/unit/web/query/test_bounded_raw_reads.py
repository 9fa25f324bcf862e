"""Bounded raw reads: whatever the events and the bound, an answer counts exactly what lies outside
the spans it names as pending, reads at most the bound, and
leaves the oldest hours pending first."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.web.aggregate.events import RawEvent
from tally.web.aggregate.visits import build_visits
from tally.web.aggregate.zones import HOUR_MS
from tally.web.query.completeness import completeness
from tally.web.query.range_plan import RangePlan
from tally.web.query.reader import StatsSources
from tally.web.query.service import REALTIME_MS, realtime

TZ = "Asia/Kolkata"  # half-hour offset: site hours are not UTC hours
START = 1_700_000_000_000 - 1_700_000_000_000 % HOUR_MS + HOUR_MS // 2  # a Kolkata hour start
HOURS = 20


class FakeRaw:
    read_units = 0.0

    def __init__(self, events: list[RawEvent]) -> None:
        self.events = sorted(events, key=lambda e: e.sort_key)

    def window(self, site_id: str, start_ms: int, end_ms: int, *, newest_first: bool = False) -> Iterator[RawEvent]:
        found = [e for e in self.events if start_ms <= e.ts_ms < end_ms]
        return iter(reversed(found) if newest_first else found)


events_strategy = st.lists(
    st.tuples(st.integers(0, HOURS * HOUR_MS - 1), st.sampled_from(["a", "b", "c", "d"]),
              st.sampled_from(["pageview", "pageview", "signup"])),
    max_size=120, unique_by=lambda t: (t[0], t[1]))


@settings(max_examples=60, deadline=None)
@given(events_strategy, st.integers(0, 150))
def test_an_answer_counts_exactly_what_lies_outside_its_pending_spans(drawn, limit):
    events = [RawEvent(f"e{i}", "s", START + offset, name, visitor) for i, (offset, visitor, name) in enumerate(drawn)]
    sources = StatsSources(marks=None, rollups=None, raw=FakeRaw(events),  # type: ignore[arg-type]
                           now_ms=lambda: START + (HOURS + 30) * HOUR_MS, raw_limit=limit)
    plan = RangePlan(START, START + HOURS * HOUR_MS, raw=[(START, START + HOURS * HOUR_MS)])
    pieces = sources.pieces("s", TZ, plan, dimensions=False)

    def outside(ts: int) -> bool:
        return not any(a <= ts < b for a, b in sources.pending)

    assert sum(p.totals.pageviews for p in pieces) == sum(e.is_pageview for e in events if outside(e.ts_ms))
    assert sum(p.totals.visits for p in pieces) == sum(1 for v in build_visits(events) if outside(v.start_ms))
    assert sources.raw_events_read <= limit
    if sources.pending and pieces:  # the oldest hours are left out, the newest read
        assert max(b for _, b in sources.pending) <= min(p.start_ms for p in pieces)
    state = completeness(sources.pending)
    assert state["complete"] is (not sources.pending)


def test_without_a_bound_nothing_is_pending():
    events = [RawEvent(f"e{i}", "s", START + i * 600_000, "pageview", "v") for i in range(100)]
    sources = StatsSources(marks=None, rollups=None, raw=FakeRaw(events),  # type: ignore[arg-type]
                           now_ms=lambda: START + 40 * HOUR_MS)
    pieces = sources.pieces("s", TZ, RangePlan(START, START + HOURS * HOUR_MS,
                                                raw=[(START, START + HOURS * HOUR_MS)]), dimensions=False)
    assert sum(p.totals.pageviews for p in pieces) == 100 and sources.pending == []


def test_raw_reads_stop_when_the_querys_time_for_them_is_spent():
    events = [RawEvent(f"e{i}", "s", START + i * 600_000, "pageview", f"v{i}") for i in range(100)]
    ticks = iter(range(1_000))  # every event read takes one tick of the fake clock
    sources = StatsSources(marks=None, rollups=None, raw=FakeRaw(events),  # type: ignore[arg-type]
                           now_ms=lambda: START + 40 * HOUR_MS, read_until=30, clock=lambda: next(ticks))
    pieces = sources.pieces("s", TZ, RangePlan(START, START + HOURS * HOUR_MS,
                                                raw=[(START, START + HOURS * HOUR_MS)]), dimensions=False)
    counted = sum(p.totals.pageviews for p in pieces)
    assert 0 < counted < 100 and sources.pending  # the newest hours, and the rest named as pending
    assert counted == sum(1 for e in events if not any(a <= e.ts_ms < b for a, b in sources.pending))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, REALTIME_MS), st.sampled_from(["a", "b", "c", "d", "e"]),
                          st.sampled_from(["/", "/x", "/y"])), max_size=60), st.integers(0, 40))
def test_realtime_reads_at_most_the_bound_newest_first_and_names_the_rest_pending(drawn, limit):
    now = START + REALTIME_MS
    events = [RawEvent(f"e{i}", "s", START + offset, "pageview", visitor, page)
              for i, (offset, visitor, page) in enumerate(drawn)]
    sources = StatsSources(marks=None, rollups=None, raw=FakeRaw(events),  # type: ignore[arg-type]
                           now_ms=lambda: now, raw_limit=limit)
    answer = realtime(sources, "s")
    assert sources.raw_events_read <= limit
    assert answer.complete is (len(events) <= limit)
    read_from = max((b for _, b in sources.pending), default=START)  # pending: [START, oldest read + 1)
    newer = {e.visitor for e in events if e.ts_ms >= read_from}
    at_the_edge = {e.visitor for e in events if e.ts_ms >= read_from - 1}
    assert len(newer) <= answer.visitors <= len(at_the_edge)  # the newest visitors, never a guess
    if answer.complete:
        assert answer.visitors == len({e.visitor for e in events})
    else:
        assert answer.pending is not None and answer.pending.spans[0].date_from.timestamp() * 1000 == START
