"""The code table's entity items as pynamodb models: a codebase (with its run and lease) and a grant.

Keys: a codebase is `pk = ORG#{org_id}`, `sk = CODEBASE#{codebase_id}`; a codebase-admin grant is
`pk = ORG#{org_id}`, `sk = ADMIN#{user_id}#{codebase_id}`, so one Query lists the codebases a user
administers and one GetItem checks a grant. Both live under the caller's org: a grant is looked up
only with the org of the caller's token. Imported lazily by the store (pynamodb stays out of a
handler's cold import).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from tally.code.claims import StepLease
from tally.code.keys import codebase_sk, grant_sk, org_pk
from tally.code.model import Codebase, Grant, Run, RunState
from tally.platform.entity_attributes import InstantAttribute


class CodebaseItem(Model):
    """A codebase, its latest run and the run's lease (who may mine it, until when, at which step)."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    codebase_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    name = UnicodeAttribute()
    url = UnicodeAttribute()
    default_branch = UnicodeAttribute(null=True)
    created_at = InstantAttribute()
    admins = UnicodeSetAttribute(null=True)
    run_id = UnicodeAttribute(null=True)
    run_state = UnicodeAttribute(null=True)
    run_started_at = InstantAttribute(null=True)
    run_finished_at = InstantAttribute(null=True)
    run_error = UnicodeAttribute(null=True)
    mined_at = InstantAttribute(null=True)
    #: The run holding the lease, until when (epoch seconds), and the step it last claimed.
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    lease_step = NumberAttribute(null=True)
    step_until = NumberAttribute(null=True)
    #: The delivery holding the step's claim (SQS message id, receive count), and whether the step is done.
    step_holder = UnicodeAttribute(null=True)
    step_receives = NumberAttribute(null=True)
    step_done = BooleanAttribute(null=True)

    @classmethod
    def key_of(cls, org_id: str, codebase_id: str) -> CodebaseItem:
        return cls(org_pk(org_id), codebase_sk(codebase_id))

    def step_lease(self) -> StepLease:
        return StepLease(owner=self.lease_owner, step=int(self.lease_step or 0), until=float(self.step_until or 0),
                         holder=self.step_holder, holder_receives=int(self.step_receives or 0),
                         done=bool(self.step_done))

    def codebase(self) -> Codebase:
        run = None
        if self.run_id and self.run_state and self.run_started_at:
            run = Run(run_id=self.run_id, state=RunState(self.run_state), started_at=self.run_started_at,
                      finished_at=self.run_finished_at, error=self.run_error)
        return Codebase(codebase_id=self.codebase_id, org_id=self.org_id, name=self.name, url=self.url,
                        default_branch=self.default_branch, created_at=self.created_at,
                        admins=sorted(self.admins or ()), run=run, mined_at=self.mined_at)


class GrantItem(Model):
    """A user's codebase-admin role on one codebase of the org."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    org_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    codebase_id = UnicodeAttribute()
    granted_at = InstantAttribute()
    granted_by = UnicodeAttribute()

    @classmethod
    def of(cls, org_id: str, codebase_id: str, user_id: str, by: str, at: datetime) -> GrantItem:
        return cls(org_pk(org_id), grant_sk(user_id, codebase_id), org_id=org_id, user_id=user_id,
                   codebase_id=codebase_id, granted_at=at, granted_by=by)

    def grant(self) -> Grant:
        return Grant(codebase_id=self.codebase_id, user_id=self.user_id, granted_at=self.granted_at)


def attributes(item: Model) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.get_attributes()}
