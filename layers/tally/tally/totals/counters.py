"""The platform's counters and what one sealed piece of data adds to them.

`Totals` is what the public figures derive from; `Contribution` is one writer's increment (web
analytics for a sealed bucket, sites for a created site, code analytics for a mined repository).
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
    visit_seconds: int = 0
    repositories: int = 0
    #: Visit seconds taken back when a reseal moved a visit's duration to another bucket.
    visit_seconds_removed: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            sites=self.sites + other.sites,
            pageviews=self.pageviews + other.pageviews,
            visit_seconds=self.visit_seconds + other.visit_seconds,
            repositories=self.repositories + other.repositories,
            visit_seconds_removed=self.visit_seconds_removed + other.visit_seconds_removed,
        )

    @property
    def net_visit_seconds(self) -> int:
        return max(0, self.visit_seconds - self.visit_seconds_removed)


@dataclass(frozen=True)
class Contribution(Totals):
    """What one sealed piece of data adds to the totals (the same counters). Counters only grow."""

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
