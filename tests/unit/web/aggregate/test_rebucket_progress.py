"""The re-bucketing progress a site reports is an estimate from the job's checkpoint alone: how far
back its walk through the site's days, then hours, has come. It grows as the walk goes, never says
done before the job does, and a check walk reads as carried."""

from __future__ import annotations

from tally.sites.model import RebucketingState
from tally.web.aggregate.rebucket_requests import DAY_MS, DAY_SHARE, Request, estimate

NOW = 1_800_000_000_000
OLDEST = NOW - 10 * DAY_MS


def at(after: str | None, passes: int = 1, carried: int = 0) -> Request:
    return Request("s1", "o1", generation=1, requested_ms=NOW - 60_000, after=after, carried=carried, passes=passes)


def progress(request: Request, retention_days: int = 730, oldest: int | None = OLDEST) -> float | None:
    return estimate(request, retention_days, oldest, NOW).progress


def test_a_walk_starts_at_zero_and_grows_through_the_days_then_the_hours():
    walk = [None, f"d#{NOW - DAY_MS:013d}", f"d#{NOW - 5 * DAY_MS:013d}", f"d#{OLDEST:013d}",
            f"h#{NOW - 2 * DAY_MS:013d}", f"h#{OLDEST:013d}"]
    shares = [progress(at(after)) for after in walk]
    assert shares[0] == 0.0
    assert shares == sorted(shares) and len(set(shares)) == len(shares)
    assert shares[2] == round(DAY_SHARE * 0.5, 3)
    assert shares[3] == DAY_SHARE
    assert shares[-1] is not None and shares[-1] < 1  # the job, not the estimate, says when a walk is over


def test_the_span_is_the_retention_window_when_older_marks_lie_beyond_it():
    assert progress(at(f"d#{NOW - 5 * DAY_MS:013d}"), retention_days=9, oldest=NOW - 400 * DAY_MS) == DAY_SHARE * 0.5


def test_a_site_without_marks_and_a_check_walk():
    assert progress(at(f"d#{NOW:013d}"), oldest=None) == 0.0
    checking = estimate(at(f"h#{NOW - DAY_MS:013d}", passes=2, carried=1), 730, OLDEST, NOW)
    assert (checking.state, checking.progress, checking.checking, checking.buckets_carried) == (
        RebucketingState.running, 1.0, True, 1)
