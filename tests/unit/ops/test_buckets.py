import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tally.ops.buckets import Granularity, plan_window

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=60 * 86400 * 1000).map(lambda ms: EPOCH + timedelta(milliseconds=ms))
lengths = st.integers(min_value=1, max_value=7 * 86400 * 1000).map(lambda ms: timedelta(milliseconds=ms))


def covered_intervals(start, end):
    plan = plan_window(start, end)
    intervals = [(e.start, e.end) for e in plan.edges]
    for r in plan.ranges:
        intervals.append((r.first, r.last + r.granularity.step))
    return plan, sorted(intervals)


@settings(max_examples=500)
@given(moments, lengths)
def test_the_plan_covers_the_window_exactly_once(start, length):
    end = start + length
    _, intervals = covered_intervals(start, end)
    assert intervals[0][0] == start
    assert intervals[-1][1] == end
    for (_, a_end), (b_start, _) in itertools.pairwise(intervals):
        assert a_end == b_start  # contiguous, no overlap, no gap


@settings(max_examples=500)
@given(moments, lengths)
def test_a_seven_day_window_reads_at_most_about_a_hundred_and_seventy_buckets(start, length):
    plan, _ = covered_intervals(start, start + length)
    keys = sum((r.last - r.first) // r.granularity.step + 1 for r in plan.ranges)
    assert keys <= 59 + 23 + 7 + 23 + 59
    assert len(plan.edges) <= 2
    assert len(plan.ranges) <= 5


@given(moments, lengths)
def test_bucket_ranges_are_aligned_to_their_granularity(start, length):
    plan, _ = covered_intervals(start, start + length)
    for r in plan.ranges:
        assert r.granularity.floor(r.first) == r.first
        assert r.granularity.floor(r.last) == r.last


def test_edges_lie_within_one_minute():
    start = datetime(2026, 3, 1, 10, 0, 30, 500_000, tzinfo=UTC)
    plan = plan_window(start, start + timedelta(seconds=45))
    for edge in plan.edges:
        assert Granularity.minute.floor(edge.start) == Granularity.minute.floor(edge.end - timedelta(microseconds=1))


def test_an_empty_window_plans_nothing():
    assert plan_window(EPOCH, EPOCH).ranges == ()
    assert plan_window(EPOCH, EPOCH).edges == ()
