"""The public figures, and how they derive from the platform totals.

The totals are counters kept exactly once as data is sealed (see `tally.totals`); the figures are a pure
function of them and of the moment they were read. Nothing here is estimated or invented: a total
nobody has recorded yet reads 0.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, Field

from tally.totals.counters import Totals

MS_PER_HOUR = 3_600_000


class PublicStats(BaseModel):
    """What the public endpoint answers."""

    sites: int = Field(ge=0, description="Sites created on the platform since 2024-01-01.")
    pageviews: int = Field(ge=0, description="Pageviews recorded across every site.")
    hours_recorded: float = Field(ge=0, description="Sum of visit durations across every site, in hours (1 decimal).")
    repositories_analyzed: int = Field(ge=0, description="Repositories mined by code analytics.")
    generated_at: datetime = Field(description="When these figures were computed (UTC).")


def hours(ms: int) -> float:
    """Milliseconds as hours with one decimal, rounded half up (never banker's rounding)."""
    return float((Decimal(max(0, ms)) / MS_PER_HOUR).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def figures_from(totals: Totals, generated_at: datetime) -> PublicStats:
    return PublicStats(
        sites=totals.sites,
        pageviews=max(0, totals.pageviews),
        hours_recorded=hours(totals.visit_ms),
        repositories_analyzed=totals.repositories,
        generated_at=generated_at,
    )
