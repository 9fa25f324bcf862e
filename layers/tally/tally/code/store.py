"""The code table behind a small seam: codebases, codebase-admin grants, and the mining lease.

The lease lives on the codebase item. A run takes it with one conditional write (no holder, or
the holder's lease expired), and each step of the run claims it again for its step number, so two
runs of one codebase never interleave; which copy of a step may run, must wait (busy) or is dropped
(stale) is `tally.code.claims.judge`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tally.code.claims import Decision, Delivery, Verdict, judge
from tally.code.keys import ADMIN, CODEBASE, codebase_sk, grant_sk, org_pk
from tally.code.model import Codebase, Grant, RunState
from tally.platform.entities import bind, commit, delete, put, update

if TYPE_CHECKING:
    from tally.code.items import CodebaseItem, GrantItem

#: Codebases an org may register (lists and the org files are read whole).
MAX_CODEBASES_PER_ORG = 500
#: Compare-and-set attempts of a step's claim before it counts as busy (each loses only to another claim).
CLAIM_ATTEMPTS = 3


class CodebaseExists(Exception):
    pass


@dataclass(frozen=True)
class Lease:
    """The run that holds a codebase's lease (or held it last) and its state."""

    run_id: str
    state: RunState
    started: bool


class DynamoCodeStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @cached_property
    def codebases(self) -> type[CodebaseItem]:
        from tally.code.items import CodebaseItem

        return bind(CodebaseItem, self.table_name)

    @cached_property
    def grants(self) -> type[GrantItem]:
        from tally.code.items import GrantItem

        return bind(GrantItem, self.table_name)

    # codebases

    def create(self, codebase: Codebase) -> None:
        from pynamodb.exceptions import PutError

        item = self.codebases(org_pk(codebase.org_id), codebase_sk(codebase.codebase_id),
                              codebase_id=codebase.codebase_id, org_id=codebase.org_id, name=codebase.name,
                              url=codebase.url, default_branch=codebase.default_branch,
                              created_at=codebase.created_at)
        try:
            item.save(condition=self.codebases.pk.does_not_exist())
        except PutError as error:
            if _condition_failed(error):
                raise CodebaseExists(codebase.codebase_id) from None
            raise

    def item(self, org_id: str, codebase_id: str) -> CodebaseItem | None:
        try:
            return self.codebases.get(org_pk(org_id), codebase_sk(codebase_id), consistent_read=True)
        except self.codebases.DoesNotExist:
            return None

    def get(self, org_id: str, codebase_id: str) -> Codebase | None:
        found = self.item(org_id, codebase_id)
        return found.codebase() if found else None

    def list(self, org_id: str) -> list[Codebase]:
        """Every codebase of the org, oldest first (at most MAX_CODEBASES_PER_ORG exist)."""
        items = self.codebases.query(org_pk(org_id), self.codebases.sk.startswith(CODEBASE),
                                     limit=MAX_CODEBASES_PER_ORG)
        return [item.codebase() for item in items]

    def count(self, org_id: str) -> int:
        return int(self.codebases.count(org_pk(org_id), self.codebases.sk.startswith(CODEBASE)))

    def remove(self, org_id: str, codebase_id: str) -> Codebase | None:
        """Delete the codebase and its grants; the removed codebase, or None if there was none."""
        from pynamodb.exceptions import DeleteError

        found = self.item(org_id, codebase_id)
        if found is None:
            return None
        for user_id in found.admins or ():
            self.grants(org_pk(org_id), grant_sk(user_id, codebase_id)).delete()
        try:
            found.delete()
        except DeleteError:
            return None
        return found.codebase()

    def all_codebases(self) -> Iterator[tuple[str, str]]:
        """(org_id, codebase_id) of every codebase on the platform (the nightly re-mine's scan)."""
        for item in self.codebases.scan(self.codebases.sk.startswith(CODEBASE),
                                        attributes_to_get=["org_id", "codebase_id"]):
            yield item.org_id, item.codebase_id

    # grants

    def grant(self, org_id: str, codebase_id: str, user_id: str, by: str, at: datetime) -> bool:
        """Grant the codebase-admin role; False when the codebase does not exist."""
        grant = self.grants.of(org_id, codebase_id, user_id, by, at)
        codebase = self.codebases.key_of(org_id, codebase_id)
        reasons = commit([put(grant),
                          update(codebase, [self.codebases.admins.add({user_id})],
                                 condition=self.codebases.pk.exists())])
        return reasons is None

    def revoke(self, org_id: str, codebase_id: str, user_id: str) -> bool:
        """Revoke the role; False when there was no such grant."""
        grant = self.grants(org_pk(org_id), grant_sk(user_id, codebase_id))
        codebase = self.codebases.key_of(org_id, codebase_id)
        reasons = commit([delete(grant, condition=self.grants.pk.exists()),
                          update(codebase, [self.codebases.admins.delete({user_id})],
                                 condition=self.codebases.pk.exists())])
        return reasons is None

    def grant_of(self, org_id: str, codebase_id: str, user_id: str) -> Grant | None:
        try:
            return self.grants.get(org_pk(org_id), grant_sk(user_id, codebase_id), consistent_read=True).grant()
        except self.grants.DoesNotExist:
            return None

    def administered(self, org_id: str, user_id: str) -> set[str]:
        """The codebase ids `user_id` administers in the org."""
        items = self.grants.query(org_pk(org_id), self.grants.sk.startswith(f"{ADMIN}{user_id}#"),
                                  limit=MAX_CODEBASES_PER_ORG)
        return {item.codebase_id for item in items}

    # runs and the lease

    def start_run(self, org_id: str, codebase_id: str, run_id: str, at: datetime, lease_s: int) -> Lease | None:
        """Take the lease for a new run, or return the run that holds it; None if no such codebase."""
        from pynamodb.exceptions import UpdateError

        now = at.timestamp()
        item = self.codebases.key_of(org_id, codebase_id)
        model = self.codebases
        try:
            item.update(actions=[model.run_id.set(run_id), model.run_state.set(RunState.queued.value),
                                 model.run_started_at.set(at), model.run_finished_at.remove(),
                                 model.run_error.remove(), model.lease_owner.set(run_id),
                                 model.lease_until.set(now + lease_s), model.lease_step.set(0),
                                 model.step_until.set(0), model.step_holder.remove(),
                                 model.step_receives.remove(), model.step_done.remove()],
                        condition=model.pk.exists() & (model.lease_owner.does_not_exist()
                                                        | (model.lease_until < now)))
            return Lease(run_id, RunState.queued, started=True)
        except UpdateError as error:
            if not _condition_failed(error):
                raise
        current = self.item(org_id, codebase_id)
        if current is None:
            return None
        if current.lease_owner and current.run_id:
            return Lease(current.run_id, RunState(current.run_state or RunState.queued.value), started=False)
        return self.start_run(org_id, codebase_id, run_id, at, lease_s)  # released meanwhile: try again

    def claim_step(self, org_id: str, codebase_id: str, run_id: str, step: int, at: datetime,
                   step_s: int, lease_s: int, delivery: Delivery | None = None) -> Decision:
        """Judge step `step` of run `run_id` against the lease (`tally.code.claims.judge`) and, when it
        may run, claim it for `step_s` seconds and extend the lease: a compare-and-set on the lease as
        read, so of two copies judging the same state only one claims (the other judges again)."""
        from pynamodb.exceptions import UpdateError

        now = at.timestamp()
        model = self.codebases
        for _ in range(CLAIM_ATTEMPTS):
            item = self.item(org_id, codebase_id)
            lease = item.step_lease() if item is not None else None
            decision = judge(lease, run_id, step, delivery, now)
            if decision.verdict is not Verdict.claim or item is None:
                return decision
            # every claim sets a new step_until, and done only ever turns true: these pin the state judged
            unchanged = ((model.lease_owner == run_id) & (model.lease_step == item.lease_step)
                         & (model.step_until == item.step_until))
            if not item.step_done:
                unchanged &= model.step_done.does_not_exist()
            actions: list[Any] = [model.lease_step.set(step), model.step_until.set(now + step_s),
                                  model.lease_until.set(now + lease_s), model.run_state.set(RunState.running.value),
                                  model.step_done.remove()]
            if delivery is not None:
                actions += [model.step_holder.set(delivery.message_id), model.step_receives.set(delivery.receive_count)]
            else:
                actions += [model.step_holder.remove(), model.step_receives.remove()]
            try:
                item.update(actions=actions, condition=unchanged)
                return decision
            except UpdateError as error:
                if not _condition_failed(error):
                    raise
        return Decision(Verdict.busy, "the lease kept changing under this step", busy_for_s=1.0)

    def complete_step(self, org_id: str, codebase_id: str, run_id: str, step: int) -> bool:
        """Mark the claimed step done (its continuation is enqueued): a duplicate of it is then stale."""
        from pynamodb.exceptions import UpdateError

        model = self.codebases
        try:
            self.codebases.key_of(org_id, codebase_id).update(
                actions=[model.step_done.set(True)],
                condition=(model.lease_owner == run_id) & (model.lease_step == step))
            return True
        except UpdateError as error:
            if _condition_failed(error):
                return False
            raise

    def finish_run(self, org_id: str, codebase_id: str, run_id: str, state: RunState, at: datetime,
                   error: str | None = None) -> bool:
        """Record the run's end and release the lease (only by the run holding it)."""
        from pynamodb.exceptions import UpdateError

        model = self.codebases
        actions: list[Any] = [model.run_state.set(state.value), model.run_finished_at.set(at),
                              model.lease_owner.remove(), model.lease_until.remove()]
        actions.append(model.run_error.set(error) if error else model.run_error.remove())
        if state is RunState.succeeded:
            actions.append(model.mined_at.set(at))
        try:
            self.codebases.key_of(org_id, codebase_id).update(actions=actions, condition=model.lease_owner == run_id)
            return True
        except UpdateError as error_:
            if _condition_failed(error_):
                return False
            raise


def _condition_failed(error: Exception) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"
