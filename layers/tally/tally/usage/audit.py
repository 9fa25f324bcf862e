"""The data-access audit: one row per read of data, written by the handler that knows the resource.

A handler that reads data (stats, failure counts, code analytics, export downloads) wraps the read:

```python
caller = Caller.from_event(event)
with audit_trail().reading(event, caller, action="stats.overview", resource=ResourceRef("site", site_id)) as read:
    caller.require(Role.viewer)             # a refused read is audited too (result: forbidden)
    site = ...
    read.resource = ResourceRef("site", site.site_id, site.domain)
    answer = ...
    read.read_units = sources.read_units
```

The row is `{id, timestamp, action, resource: {kind, id, name}, result, duration_ms, read_units}`:
`result` is `ok` or the error code the read ended with (`not_found`, `forbidden`, `internal_error`, …).
It is keyed by API Gateway's request id and the request's own time (`requestContext.timeEpoch`), and
written only if absent, so a redelivered request writes it once. Writing never fails the read: a
failed write is recorded in the failure ledger (kind `usage`, once per request) and the read goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from tally.ops.kinds import OpsKind
from tally.platform.aws import DynamoTable
from tally.platform.caller import Caller
from tally.platform.errors import TallyError
from tally.usage.keys import ROW_RETENTION, audit_pk, row_sk

logger = Logger(child=True)

#: Longest resource name or action kept on a row.
_MAX_TEXT = 200


@dataclass(frozen=True)
class ResourceRef:
    """What was read: its kind (`site`, `org`, `codebase`, `export`), id and, when known, its name."""

    kind: str
    id: str
    name: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    org_id: str
    user_id: str
    request_id: str
    at_ms: int
    action: str
    resource: ResourceRef
    result: str
    duration_ms: int
    read_units: float
    session_id: str | None = None
    key_id: str | None = None

    def as_row(self) -> dict[str, Any]:
        """The row as the API shows it."""
        return {"id": self.request_id, "timestamp": datetime.fromtimestamp(self.at_ms / 1000, UTC).isoformat(),
                "action": self.action,
                "resource": {"kind": self.resource.kind, "id": self.resource.id, "name": self.resource.name},
                "result": self.result, "duration_ms": self.duration_ms, "read_units": self.read_units}


class AuditStore(Protocol):
    def put(self, entry: AuditEntry) -> bool:
        """Store the entry unless its request has one already; False when it had."""
        ...


@dataclass
class AuditedRead:
    """What a handler tells the trail while it reads: the resource (once known) and the units it read."""

    resource: ResourceRef
    read_units: float = 0.0
    result: str = "ok"

    def add_read_units(self, units: float) -> None:
        self.read_units += units


#: Records a failed audit write: (kind, operation, error, org_id, failure_id).
FailureRecorder = Callable[..., object]


def _record_in_ledger(kind: OpsKind, operation: str, error: BaseException, *, org_id: str,
                      failure_id: str) -> object:
    from tally.ops.recorder import record_failure

    return record_failure(kind, operation, error, org_id=org_id, failure_id=failure_id)


@dataclass
class AuditTrail:
    """Writes audit rows; built once per container (`tally.usage.wiring.audit_trail`)."""

    store: AuditStore
    on_failure: FailureRecorder = _record_in_ledger
    clock: Callable[[], float] = field(default=time.perf_counter)

    def record(self, caller: Caller, *, action: str, resource: ResourceRef, result: str, duration_ms: int,
               read_units: float, request_id: str, at_ms: int | None = None) -> bool:
        """Write one audit row; never raises. True when written, False when the request had one already
        or the write failed (then the failure is in the ledger, counted once per request)."""
        entry = AuditEntry(org_id=caller.org_id, user_id=caller.user_id, request_id=request_id,
                           at_ms=int(time.time() * 1000) if at_ms is None else at_ms, action=action[:_MAX_TEXT],
                           resource=resource, result=result, duration_ms=max(0, duration_ms),
                           read_units=round(max(0.0, read_units), 2), session_id=caller.session_id,
                           key_id=caller.key_id)
        try:
            return self.store.put(entry)
        except Exception as error:  # the read's answer matters more than its audit row
            logger.exception("could not write an audit row", extra={"action": action, "request_id": request_id})
            try:
                self.on_failure(OpsKind.usage, f"audit {action}", error, org_id=caller.org_id,
                                failure_id=f"audit#{request_id}")
            except Exception:
                logger.exception("could not record the failed audit write")
            return False

    @contextmanager
    def reading(self, event: Mapping[str, Any], caller: Caller, *, action: str,
                resource: ResourceRef) -> Iterator[AuditedRead]:
        """Time the read in the block and record it exactly once: `ok`, or the code of the error that
        ends the block (the error goes on unchanged)."""
        context = event.get("requestContext") or {}
        request_id = str(context.get("requestId") or "")
        at_ms = int(context.get("timeEpoch") or time.time() * 1000)
        read = AuditedRead(resource=resource)
        started = self.clock()
        try:
            yield read
        except TallyError as error:
            read.result = error.code
            raise
        except Exception:
            read.result = "internal_error"
            raise
        finally:
            if request_id:
                self.record(caller, action=action, resource=read.resource, result=read.result,
                            duration_ms=round((self.clock() - started) * 1000), read_units=read.read_units,
                            request_id=request_id, at_ms=at_ms)


class DynamoAuditStore(DynamoTable):
    """Audit rows in the usage table under `u#<org>#<user>#A`, expiring after 90 days (TTL)."""

    def put(self, entry: AuditEntry) -> bool:
        expires = entry.at_ms // 1000 + int(ROW_RETENTION.total_seconds())
        resource: dict[str, Any] = {"kind": {"S": entry.resource.kind[:_MAX_TEXT]},
                                    "id": {"S": entry.resource.id[:_MAX_TEXT]}}
        if entry.resource.name:
            resource["name"] = {"S": entry.resource.name[:_MAX_TEXT]}
        item: dict[str, Any] = {
            "pk": {"S": audit_pk(entry.org_id, entry.user_id)},
            "sk": {"S": row_sk(entry.at_ms, entry.request_id)},
            "action": {"S": entry.action},
            "resource": {"M": resource},
            "result": {"S": entry.result[:_MAX_TEXT]},
            "duration_ms": {"N": str(entry.duration_ms)},
            "read_units": {"N": str(entry.read_units)},
            "expires_at": {"N": str(expires)},
        }
        if entry.session_id:
            item["session_id"] = {"S": entry.session_id[:_MAX_TEXT]}
        if entry.key_id:
            item["key_id"] = {"S": entry.key_id[:_MAX_TEXT]}
        try:
            self.client.put_item(TableName=self.table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def entry_from_item(org_id: str, user_id: str, item: Mapping[str, Any]) -> AuditEntry:
    """An audit row read back from the table."""
    at, _, request_id = item["sk"]["S"].partition("#")
    resource = item.get("resource", {}).get("M", {})
    return AuditEntry(
        org_id=org_id, user_id=user_id, request_id=request_id, at_ms=int(at), action=item["action"]["S"],
        resource=ResourceRef(kind=resource.get("kind", {}).get("S", ""), id=resource.get("id", {}).get("S", ""),
                             name=resource.get("name", {}).get("S")),
        result=item["result"]["S"], duration_ms=int(item["duration_ms"]["N"]),
        read_units=float(item["read_units"]["N"]), session_id=item.get("session_id", {}).get("S"),
        key_id=item.get("key_id", {}).get("S"))
