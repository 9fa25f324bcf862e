"""The busy-versus-stale rule of a mining run's steps (`tally.code.claims.judge`), on an injected clock:
what a copy of a step may do, given the lease the codebase item holds."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from tally.code.claims import Delivery, StepLease, Verdict, judge

RUN = "run-1"
STEP_S = 905.0  # a claim: the invocation's time left plus the clock skew


@dataclass
class Clock:
    now: float = 1_000_000.0

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def claimed(step: int, at: float, holder: Delivery | None) -> StepLease:
    """The lease right after `holder` claimed `step` at `at`."""
    return StepLease(owner=RUN, step=step, until=at + STEP_S, holder=holder.message_id if holder else None,
                     holder_receives=holder.receive_count if holder else 0)


def test_the_redelivery_of_a_crashed_step_resumes_at_once_without_waiting_for_its_claim():
    clock = Clock()
    first = Delivery("m-1", 1)
    lease = claimed(3, clock.now, first)
    clock.advance(5)  # the local cloud's accelerated visibility timeout: long before the claim lapses
    decision = judge(lease, RUN, 3, Delivery("m-1", 2), clock.now)
    assert decision.verdict is Verdict.claim


def test_another_copy_of_a_live_step_is_busy_until_the_claim_lapses_then_may_claim():
    clock = Clock()
    claim_at = clock.now
    lease = claimed(3, claim_at, Delivery("m-1", 1))
    clock.advance(100)
    for other in (Delivery("m-2", 1), Delivery("m-2", 3), Delivery("m-1", 1), None):  # another message, a copy
        decision = judge(lease, RUN, 3, other, clock.now)
        assert (decision.verdict, decision.busy_for_s) == (Verdict.busy, pytest.approx(STEP_S - 100)), other
    clock.now = claim_at + STEP_S + 0.001  # the holder cannot be running any more
    assert judge(lease, RUN, 3, Delivery("m-2", 2), clock.now).verdict is Verdict.claim


def test_a_redelivery_older_than_the_holding_delivery_is_busy_not_a_takeover():
    clock = Clock()
    lease = claimed(3, clock.now, Delivery("m-1", 2))
    assert judge(lease, RUN, 3, Delivery("m-1", 1), clock.advance(1)).verdict is Verdict.busy


def test_a_done_step_is_stale_for_every_copy_even_a_redelivery_while_its_claim_holds():
    clock = Clock()
    lease = replace(claimed(3, clock.now, Delivery("m-1", 1)), done=True)
    clock.advance(1)
    for copy in (Delivery("m-1", 1), Delivery("m-1", 2), Delivery("m-2", 1), None):
        assert judge(lease, RUN, 3, copy, clock.now).verdict is Verdict.stale, copy
    assert judge(lease, RUN, 3, Delivery("m-1", 2), clock.advance(10_000)).verdict is Verdict.stale


def test_an_older_step_is_stale_and_the_next_step_claims_even_while_the_previous_claim_holds():
    clock = Clock()
    lease = claimed(3, clock.now, Delivery("m-1", 1))
    clock.advance(1)
    assert judge(lease, RUN, 2, Delivery("m-0", 2), clock.now).verdict is Verdict.stale
    assert judge(lease, RUN, 4, Delivery("m-9", 1), clock.now).verdict is Verdict.claim


def test_a_step_of_another_run_or_of_an_ended_run_is_stale():
    clock = Clock()
    lease = claimed(3, clock.now, Delivery("m-1", 1))
    assert judge(lease, "run-0", 4, Delivery("m-5", 1), clock.now).verdict is Verdict.stale
    ended = replace(lease, owner=None)
    assert judge(ended, RUN, 4, Delivery("m-5", 1), clock.now).verdict is Verdict.stale
    assert judge(None, RUN, 1, Delivery("m-5", 1), clock.now).verdict is Verdict.stale


def test_the_first_step_of_a_new_run_claims():
    clock = Clock()
    fresh = StepLease(owner=RUN, step=0, until=0.0)
    assert judge(fresh, RUN, 1, Delivery("m-1", 1), clock.now).verdict is Verdict.claim
