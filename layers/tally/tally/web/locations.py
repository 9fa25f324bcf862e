"""Where web analytics keeps a site's data: its site data locations, for the site deletion job.

Web analytics declares them here (sites knows no web key format); the site deletion function lists
them before the sites capability's own. Raw events come first: the site's marks are how their
hours are found (`tally.web.aggregate.site_data`), so the marks are emptied after them. The
names are stored in the job's progress cursors: keep them stable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tally.sites.locations import KeyPage, PartitionPager, SiteDataLocation, SiteRef
from tally.web.aggregate.site_data import RawEventsPager, marks_partition
from tally.web.aggregate.spans import span_partition
from tally.web.aggregate.zones import Grain
from tally.web.ingest.site_secrets import secret_partition
from tally.web.query.answers import answer_partition


@dataclass(frozen=True)
class _RawEvents:
    """Web analytics' raw events, found hour by hour through the site's dirty marks."""

    def page(self, client: Any, table_name: str, site: SiteRef, cursor: str | None, limit: int) -> KeyPage:
        keys, next_cursor = RawEventsPager().page(client, table_name, site, cursor, limit)
        return KeyPage(keys=keys, cursor=next_cursor)


def _of_site(partition: Callable[[str], str]) -> Callable[[SiteRef], str]:
    return lambda site: partition(site.site_id)


def _rollups(grain: Grain) -> Callable[[SiteRef], str]:
    return lambda site: f"{site.site_id}#{grain.value}"


WEB_LOCATIONS: tuple[SiteDataLocation, ...] = (
    SiteDataLocation("web.raw-events", "EVENTS_TABLE", _RawEvents()),
    SiteDataLocation("web.rollups.hours", "ROLLUPS_TABLE", PartitionPager(_rollups(Grain.hour))),
    SiteDataLocation("web.rollups.days", "ROLLUPS_TABLE", PartitionPager(_rollups(Grain.day))),
    SiteDataLocation("web.rollups.minutes", "ROLLUPS_TABLE", PartitionPager(_rollups(Grain.minute))),
    SiteDataLocation("web.rollups.spans", "ROLLUPS_TABLE", PartitionPager(_of_site(span_partition))),
    SiteDataLocation("web.rollups.answers", "ROLLUPS_TABLE", PartitionPager(_of_site(answer_partition))),
    SiteDataLocation("web.marks", "ROLLUPS_TABLE", PartitionPager(_of_site(marks_partition))),
    SiteDataLocation("web.import-secret", "SALTS_TABLE", PartitionPager(_of_site(secret_partition))),
)
