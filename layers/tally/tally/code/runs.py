"""A mining run's steps, as the miner function executes them (one queue message = one step).

Each step claims the run's lease for its step number (`DynamoCodeStore.claim_step`, the rule in
`tally.code.claims`: a stale message is dropped, one whose step another live copy holds is busy and
comes back later, a crashed step's redelivery resumes at once), reads the run's checkpoint from S3,
makes sure the repository is on the function's ephemeral storage (a local path in the local cloud,
else a bare clone through the pinned, capped fetch), lets the miner work until the invocation's
deadline, then either stores the checkpoint, enqueues the next step and marks this one done, or
publishes the exports, the org files, the cache for the next (incremental) run and the final
status, and releases the lease. A crash or a timeout loses only
the step's work: the queue delivers the message again and the step resumes from the checkpoint.
A failure (a refused address, a cap, a missing object, an unknown branch, or the step's last
delivery failing) fails the run: `status.json` says why, the ledger counts one `export` failure,
and no export is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from tally.code.claims import Delivery, Verdict
from tally.code.exports import STATUS, ExportStore, codebase_key
from tally.code.fetch import Clone
from tally.code.model import Codebase, RunState
from tally.code.publish import publish
from tally.code.queue import MiningQueue, StepMessage
from tally.code.store import DynamoCodeStore
from tally.code.urls import UrlRefused, parse_location
from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.totals.counters import Contribution

if TYPE_CHECKING:
    from tally.code.items import CodebaseItem

logger = Logger(child=True)

CHECKPOINT = "_run/checkpoint"
CACHE = "_run/cache"
#: Seconds between two progress writes of status.json (each is one S3 request).
PROGRESS_EVERY_S = 2.0
#: A claimed step is held for the invocation's remaining time plus this much clock skew, no longer:
#: an invocation cannot outlive its timeout. (A redelivery of the claiming message itself does not
#: wait for that: see `tally.code.claims`.)
CLAIM_SKEW_S = 5


class RunFailed(Exception):
    """The run cannot succeed (its status says why); retrying the step would not help."""


class StepBusy(Exception):
    """Another live copy holds this step's claim: the message must come back once it lapses, not be deleted."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"the step is claimed for {retry_after_s:.0f} s more")
        self.retry_after_s = retry_after_s


@dataclass
class StepContext:
    """What a step needs from its function: stores, settings, the time it has, and its delivery count."""

    store: DynamoCodeStore
    exports: ExportStore
    queue: MiningQueue
    salt: str
    allow_local: bool
    lease_s: int
    work_dir: str
    seconds_left: Callable[[], float]
    reserve_s: float
    fetch: Callable[[Codebase, Path], Path]
    totals: Any | None = None
    last_delivery: bool = False
    delivery: Delivery | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def run_step(message: StepMessage, ctx: StepContext) -> str:
    """Do one step; what happened: `dropped`, `continued`, `succeeded` or `failed` (StepBusy: not yet)."""
    at = ctx.now()
    step_s = int(ctx.seconds_left()) + CLAIM_SKEW_S
    decision = ctx.store.claim_step(message.org_id, message.codebase_id, message.run_id, message.step, at, step_s,
                                    ctx.lease_s, ctx.delivery)
    if decision.verdict is Verdict.busy:
        raise StepBusy(decision.busy_for_s)
    if decision.verdict is Verdict.stale:
        logger.info("step dropped", extra={"run_id": message.run_id, "step": message.step, "why": decision.why})
        return "dropped"
    item = ctx.store.item(message.org_id, message.codebase_id)
    if item is None:
        return "dropped"
    codebase = item.codebase()
    saved = ctx.exports.document(codebase_key(codebase.org_id, codebase.codebase_id, CHECKPOINT))
    started_at = str(item.run_started_at.isoformat() if item.run_started_at else at.isoformat())
    checkpoint = saved["miner"] if saved and saved.get("run_id") == message.run_id else None
    try:
        return _work(message, ctx, item, codebase, checkpoint, started_at)
    except RunFailed as failure:
        return fail(message, ctx, codebase, started_at, str(failure))
    except Exception as error:
        if ctx.last_delivery:
            return fail(message, ctx, codebase, started_at, f"the run's step kept failing: {type(error).__name__}")
        raise  # the queue delivers the step again; it resumes from the checkpoint


def _work(message: StepMessage, ctx: StepContext, item: CodebaseItem, codebase: Codebase,
          checkpoint: dict[str, Any] | None, started_at: str) -> str:
    from tally.code.mining import MineRequest, Progress, RepositoryIncomplete, UnknownBranch, mine_step

    status = Status(ctx.exports, codebase, message.run_id, started_at)
    status.write(phase="clone" if checkpoint is None else "resume")
    repo_path = repository(codebase, ctx)
    cache = ctx.exports.document(codebase_key(codebase.org_id, codebase.codebase_id, CACHE))
    # a reserve at or above the time left makes each step one unit of work (the first always runs)
    deadline = time.monotonic() + max(0.0, ctx.seconds_left() - ctx.reserve_s)
    request = MineRequest(repo_path=str(repo_path), codebase_id=codebase.codebase_id, full_name=codebase.name,
                          default_branch=codebase.default_branch)

    def progress(p: Progress) -> None:
        status.write(phase=p.phase, commits_done=p.commits_done, commits_total=p.commits_total, throttle=True)

    try:
        outcome = mine_step(request, checkpoint=checkpoint, cache=cache, deadline=deadline, progress=progress)
    except (RepositoryIncomplete, UnknownBranch) as error:
        raise RunFailed(str(error)) from error
    status.phase_seconds = dict(outcome.phase_seconds)
    if not outcome.finished:
        ctx.exports.write(codebase_key(codebase.org_id, codebase.codebase_id, CHECKPOINT),
                          {"run_id": message.run_id, "step": message.step, "miner": outcome.checkpoint})
        status.write(phase=str(outcome.checkpoint.get("phase", "history")))
        ctx.queue.send(message.next())
        ctx.store.complete_step(codebase.org_id, codebase.codebase_id, message.run_id, message.step)
        return "continued"
    assert outcome.exports is not None
    publish(ctx.exports, codebase, outcome.exports, ctx.salt)
    if outcome.cache is not None:
        ctx.exports.write(codebase_key(codebase.org_id, codebase.codebase_id, CACHE), outcome.cache)
    overview = outcome.exports["overview"]
    total = int(overview.get("total_commits", 0))
    status.write(phase="done", state=RunState.succeeded, commits_done=total, commits_total=total, finished=True)
    ctx.store.finish_run(codebase.org_id, codebase.codebase_id, message.run_id, RunState.succeeded, ctx.now())
    if ctx.totals is not None:  # counted once per codebase, however often it is mined
        ctx.totals.record_contribution(f"repository#{codebase.org_id}#{codebase.codebase_id}",
                                       Contribution(repositories=1))
    return "succeeded"


def fail(message: StepMessage, ctx: StepContext, codebase: Codebase, started_at: str, error: str) -> str:
    Status(ctx.exports, codebase, message.run_id, started_at).write(
        phase="failed", state=RunState.failed, error=error, finished=True)
    ctx.store.finish_run(codebase.org_id, codebase.codebase_id, message.run_id, RunState.failed, ctx.now(), error)
    record_failure(OpsKind.export, "code.mine", error, org_id=codebase.org_id,
                   failure_id=f"mine#{codebase.codebase_id}#{message.run_id}")
    return "failed"


def repository(codebase: Codebase, ctx: StepContext) -> Path:
    """The repository on local storage: the path itself in the local cloud, else a bare clone."""
    try:
        location = parse_location(codebase.url, allow_local=ctx.allow_local)
    except UrlRefused as refused:
        raise RunFailed(refused.message) from refused
    if location.is_local:
        return Path(location.local_path)
    target = Path(ctx.work_dir) / codebase.org_id / f"{codebase.codebase_id}.git"
    try:
        return ctx.fetch(codebase, target)
    except (UrlRefused, Clone) as refused:
        raise RunFailed(str(getattr(refused, "message", refused))) from refused


class Status:
    """status.json of a run: written at each phase (progress at most every PROGRESS_EVERY_S)."""

    def __init__(self, exports: ExportStore, codebase: Codebase, run_id: str, started_at: str) -> None:
        self.exports, self.codebase, self.run_id, self.started_at = exports, codebase, run_id, started_at
        self.phase_seconds: dict[str, float] = {}
        self.commits_done = 0
        self.commits_total: int | None = None
        self.last_write = 0.0

    def write(self, *, phase: str, state: RunState = RunState.running, commits_done: int | None = None,
              commits_total: int | None = None, error: str | None = None, finished: bool = False,
              throttle: bool = False) -> None:
        self.commits_done = self.commits_done if commits_done is None else commits_done
        self.commits_total = self.commits_total if commits_total is None else commits_total
        if throttle and time.monotonic() - self.last_write < PROGRESS_EVERY_S:
            return
        self.last_write = time.monotonic()
        from tally.code.mining import status_document

        self.exports.write(codebase_key(self.codebase.org_id, self.codebase.codebase_id, STATUS), status_document(
            codebase_id=self.codebase.codebase_id, run_id=self.run_id, state=state.value, phase=phase,
            commits_done=self.commits_done, commits_total=self.commits_total or 0, phase_seconds=self.phase_seconds,
            started_at=self.started_at, finished_at=datetime.now(UTC).isoformat() if finished else None,
            error=error))
