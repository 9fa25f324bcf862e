"""The scheduled salt rotation: one run per day at 00:00 UTC, safe to repeat or overlap.

A failed run is recorded in the failure ledger (kind `job`) under one id per scheduled UTC day, so
the retries of one day's tick count once, and the error is raised again for those retries. Ingest
does not depend on this job: it creates the day's salt itself when the job has not.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from tally.ops.kinds import OpsKind
from tally.web.visitors.salts import Rotation, SaltStore, utc_day

OPERATION = "salt-rotation"

class FailureRecorder(Protocol):
    """`tally.ops.recorder.record_failure`, or a fake of it."""

    def __call__(self, kind: OpsKind, operation: str, error: BaseException | str, *,
                 failure_id: str | None = None, at: datetime | None = None) -> bool: ...


def failure_id(day: date) -> str:
    return f"{OPERATION}#{day.isoformat()}"


def run_rotation(store: SaltStore, now: datetime, *, record_failure: FailureRecorder,
                 scheduled: datetime | None = None) -> Rotation:
    """Rotate as of `now`. A failure is recorded at the tick's scheduled time (else `now`) under the id
    of its UTC day: the ledger keys an entry by id and time, so every retry of the tick is one entry."""
    try:
        return store.rotate(now)
    except Exception as error:
        tick = scheduled or now
        record_failure(OpsKind.job, OPERATION, error, failure_id=failure_id(utc_day(tick)), at=tick)
        raise
