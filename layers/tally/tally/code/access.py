"""Who may read or act on code analytics: org admins on every codebase of their org, a codebase's
admins on that codebase, nobody else. Another org's codebase is never found (404)."""

from __future__ import annotations

from tally.code.model import Codebase
from tally.code.store import DynamoCodeStore
from tally.platform.caller import Caller, Role
from tally.platform.errors import Forbidden, NotFound

NO_CODEBASE = "No such codebase in the caller's organisation."
NEEDS_ADMIN = "this needs the org_admin role or the codebase-admin role on this codebase"
NEEDS_ANY_ADMIN = "this needs the org_admin role or the codebase-admin role on a codebase"


def codebase_for(store: DynamoCodeStore, caller: Caller, codebase_id: str) -> Codebase:
    """The codebase, if the caller administers it (as org admin or codebase admin)."""
    codebase = store.get(caller.org_id, codebase_id)
    if codebase is None:
        raise NotFound(NO_CODEBASE)
    if caller.has(Role.org_admin) or caller.user_id in codebase.admins:
        return codebase
    raise Forbidden(NEEDS_ADMIN)


def visible_codebases(store: DynamoCodeStore, caller: Caller) -> list[Codebase]:
    """The org's codebases the caller may see: all for an org admin, those they administer otherwise."""
    if caller.has(Role.org_admin):
        return store.list(caller.org_id)
    mine = store.administered(caller.org_id, caller.user_id)
    if not mine:
        raise Forbidden(NEEDS_ANY_ADMIN)
    return [c for c in store.list(caller.org_id) if c.codebase_id in mine]
