"""The one small recorder through which every failing operation in Tally records itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from tally.ops.kinds import PLATFORM_ORG, OpsKind
from tally.ops.ledger import Failure, FailureLedger
from tally.ops.wiring import failure_ledger

logger = Logger(child=True)


def record_failure(
    kind: OpsKind,
    operation: str,
    error: BaseException | str,
    *,
    org_id: str | None = None,
    failure_id: str | None = None,
    at: datetime | None = None,
    ledger: FailureLedger | None = None,
) -> bool:
    """Record one failed operation; never raises (a broken ledger must not hide the first error).

    Pass a deterministic `failure_id` (an event id, a job run id) when the same failure may be
    reported again by a retry: it is then counted once. Returns True when a new entry was stored.
    """
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    failure = Failure(
        failure_id=failure_id or uuid.uuid4().hex,
        org_id=org_id or PLATFORM_ORG,
        kind=kind,
        operation=operation,
        message=error if isinstance(error, str) else f"{type(error).__name__}: {error}",
        at=moment.replace(microsecond=moment.microsecond // 1000 * 1000),
    )
    try:
        stored = (ledger or failure_ledger()).record(failure)
    except Exception:
        logger.exception("could not record a failure in the ledger",
                         extra={"kind": kind.value, "operation": operation, "org_id": failure.org_id})
        return False
    logger.info("failure recorded", extra={"kind": kind.value, "operation": operation,
                                           "org_id": failure.org_id, "failure_id": failure.failure_id,
                                           "new": stored})
    return stored
