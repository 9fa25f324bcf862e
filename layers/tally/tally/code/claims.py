"""Who may work on a step of a mining run: the busy-versus-stale rule, a pure function of the lease.

A step message is judged against what the codebase item says about the run's lease:

- **stale** (dropped, and its message deleted): another run holds the lease or none does (the run
  ended), a later step was claimed, or this step is done (its continuation is enqueued).
- **claim**: a later step than the one claimed (its predecessor enqueued it), or this step again
  once its claim has lapsed (the holder's time left plus the skew: it cannot be running), or a
  redelivery of the very message that holds the claim (a higher receive count). SQS shows a message
  again only after its visibility timeout, which is longer than the function's timeout (a template
  test holds that), so the earlier delivery's invocation is over: it crashed or timed out, and the
  step resumes at once from its checkpoint instead of waiting for the claim to lapse.
- **busy**: this step is claimed by another, live copy (another message of the same step, or a
  concurrent duplicate of this one). The message is not deleted: the handler reports it as failed
  and holds it back until the claim lapses, when it is stale (the step got done) or claimable (the
  holder died).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    claim = "claim"
    busy = "busy"
    stale = "stale"


@dataclass(frozen=True)
class Delivery:
    """Which SQS delivery carries the step: its message id and ApproximateReceiveCount."""

    message_id: str
    receive_count: int


@dataclass(frozen=True)
class StepLease:
    """The lease as the codebase item holds it: the run, the step claimed last, until when (epoch
    seconds), the delivery holding the claim, and whether that step is done."""

    owner: str | None
    step: int
    until: float
    holder: str | None = None
    holder_receives: int = 0
    done: bool = False


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    why: str
    busy_for_s: float = 0.0  # busy: seconds until the claim lapses


def judge(lease: StepLease | None, run_id: str, step: int, delivery: Delivery | None, now: float) -> Decision:
    """What the step `step` of run `run_id`, carried by `delivery` (None: unknown), may do at `now`."""
    if lease is None or lease.owner != run_id:
        return Decision(Verdict.stale, "another run holds the lease, or the run has ended")
    if lease.step > step:
        return Decision(Verdict.stale, "a later step was claimed")
    if lease.step < step:
        return Decision(Verdict.claim, "the next step")
    if lease.done:
        return Decision(Verdict.stale, "this step is done")
    if lease.until < now:
        return Decision(Verdict.claim, "the step's claim has lapsed")
    if (delivery is not None and lease.holder == delivery.message_id
            and lease.holder_receives < delivery.receive_count):
        return Decision(Verdict.claim, "a redelivery of the message whose invocation held the claim")
    return Decision(Verdict.busy, "another copy of this step is running", busy_for_s=lease.until - now)
