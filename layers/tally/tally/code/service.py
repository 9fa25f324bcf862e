"""Codebases: register, read, remove, grant and revoke the codebase-admin role, start a mining run.

A user of the org: Tally keeps no user directory (users live in the identity provider; a token
carries `sub` and `org_id`), so a grant belongs to the org. It is stored under the org's key and
looked up only with the org of the caller's token: the same user id signed in to another org
holds nothing. A grant names a user id of the identity provider's form (`USER_ID_PATTERN`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tally.code import urls
from tally.code.access import NO_CODEBASE, codebase_for
from tally.code.exports import STATUS, ExportStore, codebase_key, codebase_prefix
from tally.code.ids import new_id
from tally.code.model import Codebase, CodebaseCreate, Grant, MineAccepted, RunState
from tally.code.orgfiles import remove_codebase
from tally.code.queue import MiningQueue, StepMessage
from tally.code.store import MAX_CODEBASES_PER_ORG, DynamoCodeStore
from tally.code.urls import Resolver, parse_location, public_addresses
from tally.platform.caller import Caller, Role
from tally.platform.errors import Conflict, NotFound

NO_GRANT = "The user holds no codebase-admin role on this codebase."


def register(store: DynamoCodeStore, caller: Caller, request: CodebaseCreate, *, allow_local: bool,
             resolver: Resolver | None = None, now: datetime | None = None,
             id_at: Callable[[int], str] = new_id) -> Codebase:
    """`id_at(now_ms)` makes the codebase's id (random; the demo passes fixed ones)."""
    caller.require(Role.org_admin)
    location = parse_location(request.url.strip(), allow_local=allow_local)
    if not location.is_local:
        public_addresses(location, resolver or urls.system_resolver)  # checked again, and pinned, when the run clones
    if store.count(caller.org_id) >= MAX_CODEBASES_PER_ORG:
        raise Conflict(f"an organisation registers at most {MAX_CODEBASES_PER_ORG} codebases")
    at = _ms(now or datetime.now(UTC))
    codebase = Codebase(codebase_id=id_at(int(at.timestamp() * 1000)), org_id=caller.org_id,
                        name=request.name or default_name(location.url), url=location.url,
                        default_branch=request.default_branch, created_at=at, admins=[])
    store.create(codebase)
    return codebase


def default_name(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 2)
    name = "/".join(tail[-2:]) if len(tail) >= 2 and not url.startswith("/") else tail[-1]
    return name.removesuffix(".git")[:100] or "repository"


def get(store: DynamoCodeStore, caller: Caller, codebase_id: str) -> Codebase:
    return codebase_for(store, caller.require(Role.org_admin), codebase_id)


def remove(store: DynamoCodeStore, exports: ExportStore, caller: Caller, codebase_id: str) -> None:
    """Remove the codebase, its grants and its exports, and take it out of the org files."""
    caller.require(Role.org_admin)
    if store.remove(caller.org_id, codebase_id) is None:
        raise NotFound(NO_CODEBASE)
    exports.delete_prefix(codebase_prefix(caller.org_id, codebase_id))
    remove_codebase(exports, caller.org_id, codebase_id)


def grant(store: DynamoCodeStore, caller: Caller, codebase_id: str, user_id: str,
          now: datetime | None = None) -> Grant:
    caller.require(Role.org_admin)
    at = _ms(now or datetime.now(UTC))
    if not store.grant(caller.org_id, codebase_id, user_id, caller.user_id, at):
        raise NotFound(NO_CODEBASE)
    return Grant(codebase_id=codebase_id, user_id=user_id, granted_at=at)


def revoke(store: DynamoCodeStore, caller: Caller, codebase_id: str, user_id: str) -> None:
    caller.require(Role.org_admin)
    if store.get(caller.org_id, codebase_id) is None:
        raise NotFound(NO_CODEBASE)
    if not store.revoke(caller.org_id, codebase_id, user_id):
        raise NotFound(NO_GRANT)


def start_mining(store: DynamoCodeStore, exports: ExportStore, queue: MiningQueue, caller: Caller,
                 codebase_id: str, *, lease_s: int, now: datetime | None = None) -> MineAccepted:
    """Start a run (202), or answer with the run already going."""
    codebase_for(store, caller, codebase_id)
    return enqueue_run(store, exports, queue, caller.org_id, codebase_id, lease_s=lease_s, now=now)


def enqueue_run(store: DynamoCodeStore, exports: ExportStore, queue: MiningQueue, org_id: str,
                codebase_id: str, *, lease_s: int, now: datetime | None = None) -> MineAccepted:
    at = _ms(now or datetime.now(UTC))
    lease = store.start_run(org_id, codebase_id, new_id(int(at.timestamp() * 1000)), at, lease_s)
    if lease is None:
        raise NotFound(NO_CODEBASE)
    if lease.started:
        exports.write(codebase_key(org_id, codebase_id, STATUS), queued_status(codebase_id, lease.run_id, at))
        queue.send(StepMessage(org_id, codebase_id, lease.run_id, 1))
    return MineAccepted(run_id=lease.run_id, state=lease.state, started=lease.started)


def queued_status(codebase_id: str, run_id: str, at: datetime) -> dict[str, object]:
    """status.json of a queued run (the fields of `tally.code.mining.status`, which the miner's layer holds)."""
    return {"codebase_id": codebase_id, "run_id": run_id, "state": RunState.queued.value, "phase": "queued",
            "commits_done": 0,
            "commits_total": 0, "phase_seconds": {}, "started_at": at.isoformat(), "finished_at": None,
            "error": None}


def _ms(moment: datetime) -> datetime:
    """`moment` to the millisecond, as stored."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
