"""Answering "how many operations failed in the last `since`?" for one organisation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from tally.ops.kinds import OpsKind
from tally.ops.ledger import FailureLedger
from tally.ops.window import Window
from tally.platform.errors import InvalidInput


class FailureCount(BaseModel):
    since: str = Field(description="The window asked for, e.g. `1h`.")
    success: bool = Field(description="Always false today: only failures are counted.")
    kind: OpsKind | None = Field(description="The kind counted, or null for every kind.")
    count: int = Field(description="Failed operations in the window (of `kind`, when given).")
    by_kind: dict[str, int] = Field(description="Failed operations in the window for each kind.")
    window_start: datetime = Field(description="Start of the window (inclusive), UTC.")
    window_end: datetime = Field(description="End of the window (exclusive), UTC: the time of the answer.")


def count_failures(
    org_id: str,
    since: str,
    success: bool,
    kind: OpsKind | None,
    *,
    ledger: FailureLedger,
    now: datetime | None = None,
    on_read: Callable[[float], object] | None = None,
) -> FailureCount:
    """The count; `on_read` is told the read units the ledger charged (the data-access audit keeps them)."""
    if success is not False:
        raise InvalidInput(
            "only success=false is supported: this endpoint counts failed operations",
            details=[{"field": "success", "rule": "must be false", "type": "value"}],
        )
    window = Window.parse(since)
    end = (now or datetime.now(UTC)).astimezone(UTC)
    start = end - window.length
    tally = ledger.count(org_id, start, end)
    if on_read is not None:
        on_read(tally.read_units)
    by_kind = {k.value: n for k, n in tally.by_kind.items()}
    return FailureCount(
        since=window.text,
        success=False,
        kind=kind,
        count=tally.by_kind[kind] if kind else tally.total,
        by_kind=by_kind,
        window_start=start,
        window_end=end,
    )
