"""An export as the API shows it, and what the job needs to know of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class ExportStatus(StrEnum):
    pending = "pending"  # requested, no day written yet
    running = "running"  # some days written
    ready = "ready"  # the ZIP is in S3
    failed = "failed"  # the job gave up (recorded in the failure ledger)


@dataclass(frozen=True)
class Export:
    export_id: str
    org_id: str
    user_id: str
    site_id: str
    domain: str
    first: date
    last: date
    tz: str
    status: ExportStatus
    created_at_ms: int
    expires_at_s: int
    #: the first day not written yet (== last + 1 day once every day is written)
    next_day: date
    size: int | None = None
    key: str | None = None
    attempts: int = 0

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def days_done(self) -> int:
        return (self.next_day - self.first).days

    @property
    def archive_name(self) -> str:
        """Plausible's name for an export: the domain with `_` for dots and the day it was made."""
        from datetime import UTC, datetime

        made = datetime.fromtimestamp(self.created_at_ms / 1000, UTC).date()
        return f"{self.domain.replace('.', '_')}_{made:%Y%m%d}.zip"
