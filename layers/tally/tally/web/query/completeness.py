"""Whether a stats answer is complete, and what it still lacks: a query is exact, or says it is not.

Sealed days and hours cost a few reads whatever their size; raw events are read only for hours not
sealed yet, and one query reads at most a bounded number of them (`tally.web.query.reader`), so
that it answers within the function's time limit however large a backlog is (right after a big
import, or while the stream or the sealer lag). What the bound leaves out is not guessed: the
answer is exact over everything else, says `"complete": false`, and names the spans still
pending. Those spans are asked to be sealed first (`tally.web.aggregate.seal_requests`), so the
same query soon reads them as sealed rollups and is complete again.

Why an incomplete answer rather than 503: a dashboard can show most of the range at once and
say "processing N hours" for the rest, and a client that needs exact figures retries after
`retry_after_s` (as it would after a 503's Retry-After) until `complete` is true.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tally.web.aggregate.zones import HOUR_MS, to_utc
from tally.web.query.range_plan import join_adjacent

#: When a client should ask again: about one sealer run.
RETRY_AFTER_S = 60


class PendingSpan(BaseModel):
    date_from: datetime = Field(alias="from", description="Start of the span (UTC).")
    date_to: datetime = Field(alias="to", description="End of the span (UTC, exclusive).")

    model_config = {"populate_by_name": True}


class Pending(BaseModel):
    hours: int = Field(description="How many hours of the range the answer does not count yet.")
    spans: list[PendingSpan] = Field(description="Those hours as spans of time, oldest first.")
    retry_after_s: int = Field(description="Ask again after this many seconds for a more complete answer.")


class Completeness(BaseModel):
    """What every stats answer says about itself."""

    complete: bool = Field(default=True, description=(
        "True when the answer counts every event stored for the range. False when some hours were "
        "still being processed and too many to read at once: the figures then leave out exactly the "
        "`pending` hours (the rest is exact); ask again after `pending.retry_after_s`."))
    pending: Pending | None = Field(default=None,
                                    description="What an incomplete answer leaves out; null when complete.")


def completeness(pending: list[tuple[int, int]]) -> dict[str, object]:
    """The `complete`/`pending` fields of an answer that left out `pending` ([start, end) UTC ms)."""
    if not pending:
        return {"complete": True, "pending": None}
    spans = join_adjacent(pending)
    hours = sum(-(-(end - start) // HOUR_MS) for start, end in pending)
    return {"complete": False, "pending": Pending(
        hours=hours, retry_after_s=RETRY_AFTER_S,
        spans=[PendingSpan(date_from=to_utc(start), date_to=to_utc(end)) for start, end in spans])}
