"""A raw event as aggregation sees it: already enriched, visitor already hashed (no IP, no UA)."""

from __future__ import annotations

from dataclasses import dataclass, field

PAGEVIEW = "pageview"
ENGAGEMENT = "engagement"


def is_goal(name: str) -> bool:
    """Goals, as Plausible's: the custom events, never `pageview` or `engagement`."""
    return name not in (PAGEVIEW, ENGAGEMENT)


@dataclass(frozen=True, slots=True)
class RawEvent:
    event_id: str
    site_id: str
    ts_ms: int
    name: str
    visitor: str
    page: str = "/"
    #: the same person's id under the previous day's salt (set near midnight), to keep a visit whole
    alt_visitor: str | None = None
    interactive: bool = True
    source: str = "Direct / None"
    referrer: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    country: str = ""
    device: str = ""
    browser: str = ""
    os: str = ""
    props: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_pageview(self) -> bool:
        return self.name == PAGEVIEW

    @property
    def counts_for_bounce(self) -> bool:
        """Interactive events decide bounces; `interactive: false` and engagement events don't."""
        return self.interactive and self.name != ENGAGEMENT

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.ts_ms, self.event_id)
