"""Visitor spans: any run of days is covered exactly by its spans, two for runs of up to 64 days."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tally.web.aggregate.spans import MAX_LEVEL, cover, digest, span_days


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(min_value=1, max_value=731))
def test_spans_cover_a_run_of_days_exactly_and_two_suffice_up_to_64_days(first: date, count: int):
    last = first + timedelta(days=count - 1)
    blocks = cover(first, last)
    days = [d for level, end in blocks for d in span_days(end, level)]
    assert set(days) == {first + timedelta(days=i) for i in range(count)}  # nothing outside, nothing missed
    assert all(0 <= level <= MAX_LEVEL for level, _ in blocks)
    assert (blocks[0][0] == 0) == (count == 1)
    if count <= 2 << MAX_LEVEL:
        assert len(blocks) <= 2
    assert len(blocks) <= -(-count // (1 << MAX_LEVEL)) + 1


def test_a_span_digest_names_the_days_and_versions_not_their_order():
    assert digest([(1, 2), (3, 4)]) == digest([(3, 4), (1, 2)])
    assert digest([(1, 2), (3, 4)]) != digest([(1, 2), (3, 5)])
    assert digest([(1, 2)]) != digest([(1, 2), (3, 4)])
