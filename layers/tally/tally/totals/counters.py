"""The platform's counters and what one sealed piece of data adds to them.

`Totals` is what the public figures derive from; `Contribution` is one writer's increment (sites
for a created site, code analytics for a mined repository). Web analytics keeps its share per
15-minute slot of time instead, replaced on every reseal (`tally.totals.slots`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

#: `sites` counts sites created on or after this day.
SITES_COUNTED_FROM = date(2024, 1, 1)


@dataclass(frozen=True)
class Totals:
    """Platform-wide counters, summed over their shards."""

    sites: int = 0
    pageviews: int = 0
    #: The sum of visit durations, in milliseconds (exact: no rounding per bucket).
    visit_ms: int = 0
    repositories: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            sites=self.sites + other.sites,
            pageviews=self.pageviews + other.pageviews,
            visit_ms=self.visit_ms + other.visit_ms,
            repositories=self.repositories + other.repositories,
        )

    def __sub__(self, other: Totals) -> Totals:
        return Totals(
            sites=self.sites - other.sites,
            pageviews=self.pageviews - other.pageviews,
            visit_ms=self.visit_ms - other.visit_ms,
            repositories=self.repositories - other.repositories,
        )


@dataclass(frozen=True)
class Contribution(Totals):
    """What one piece of data adds to the totals once (the same counters), never taken back."""

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value < 0:
                raise ValueError(f"a contribution only adds: {name} is {value}")

    @property
    def is_empty(self) -> bool:
        return not any(asdict(self).values())


def site_created(created_at: datetime) -> Contribution:
    """The contribution of a newly created site: counted only when created on or after 2024-01-01."""
    return Contribution(sites=1 if created_at.astimezone(UTC).date() >= SITES_COUNTED_FROM else 0)
