"""XFetch (Vattani et al., VLDB 2015): recompute when `now - delta * beta * ln(rand) >= expiry`."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from tally.public_stats.cache import xfetch_due

times = st.floats(0, 1e6)
deltas = st.floats(0, 60)
draws = st.floats(1e-12, 1.0)


@given(now=times, expiry=times)
def test_with_a_draw_of_one_or_no_compute_time_it_is_a_plain_expiry_check(now, expiry):
    assert xfetch_due(now, expiry, 5.0, 1.0) == (now >= expiry)
    assert xfetch_due(now, expiry, 0.0, 0.5) == (now >= expiry)


@given(now=times, later=st.floats(0, 1e4), expiry=times, delta=deltas, rand=draws)
def test_once_due_it_stays_due_as_time_passes(now, later, expiry, delta, rand):
    if xfetch_due(now, expiry, delta, rand):
        assert xfetch_due(now + later, expiry, delta, rand)


@given(now=times, expiry=times, delta=deltas, rand=draws)
def test_an_expired_value_is_always_due(now, expiry, delta, rand):
    if now >= expiry:
        assert xfetch_due(now, expiry, delta, rand)


@given(now=times, expiry=times, delta=deltas, more=st.floats(0, 60), rand=draws)
def test_a_slower_recompute_starts_no_later(now, expiry, delta, more, rand):
    if xfetch_due(now, expiry, delta, rand):
        assert xfetch_due(now, expiry, delta + more, rand)


def test_a_draw_of_zero_is_read_as_the_smallest_positive_draw():
    assert xfetch_due(0.0, 700.0, 1.0, 0.0)  # -ln(5e-324) ≈ 744 compute times early
    assert not xfetch_due(0.0, 800.0, 1.0, 0.0)


def test_the_early_window_is_exponential_with_mean_delta_times_beta():
    """P(due at `gap` seconds before expiry) = exp(-gap / (delta * beta)) for a uniform draw."""
    rng = random.Random(6)
    delta, beta, gap, n = 2.0, 1.0, 3.0, 20_000
    due = sum(xfetch_due(100.0 - gap, 100.0, delta, 1.0 - rng.random(), beta) for _ in range(n))
    assert abs(due / n - math.exp(-gap / (delta * beta))) < 0.02
