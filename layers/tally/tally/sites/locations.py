"""Where a site's data lives: the registry the site deletion job empties before it deletes a site.

Each capability that stores data per site adds one `SiteDataLocation` to `SITE_DATA_LOCATIONS`:
the environment variable naming its table (the deletion function's template Environment must
set it; a test checks) and a pager that lists the site's item keys a page at a time. Locations
are emptied in order; their names are stored in the job's progress cursor, so keep them stable.
The site item and its domain claim are not locations: the job removes them last, together.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tally.sites import items
from tally.sites.items import Item


@dataclass(frozen=True)
class SiteRef:
    org_id: str
    site_id: str


@dataclass(frozen=True)
class KeyPage:
    keys: list[Item]
    cursor: str | None  # where the next page starts; None when this page was the location's last


class KeyPager(Protocol):
    def page(self, client: Any, table_name: str, site: SiteRef, cursor: str | None, limit: int) -> KeyPage:
        """Up to `limit` keys of the site's items, from `cursor` (None: the beginning)."""
        ...


@dataclass(frozen=True)
class PartitionPager:
    """A location where the site's items fill partitions named by `partition_of(site)`."""

    partition_of: Callable[[SiteRef], str]
    pk: str = "pk"
    sk: str = "sk"

    def page(self, client: Any, table_name: str, site: SiteRef, cursor: str | None, limit: int) -> KeyPage:
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": self.pk, "#sk": self.sk},
            "ExpressionAttributeValues": {":pk": {"S": self.partition_of(site)}},
            "ProjectionExpression": "#pk, #sk",
            "ConsistentRead": True,
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = json.loads(cursor)
        response = client.query(**kwargs)
        last = response.get("LastEvaluatedKey")
        return KeyPage(keys=list(response.get("Items", [])),
                       cursor=json.dumps(last, sort_keys=True) if last else None)


@dataclass(frozen=True)
class SiteDataLocation:
    name: str  # stable: progress cursors name it
    table_env: str  # the environment variable holding the table's name
    pager: KeyPager

    def table_name(self, environ: Mapping[str, str]) -> str:
        try:
            return environ[self.table_env]
        except KeyError:
            raise RuntimeError(f"site data location {self.name} needs {self.table_env} in the environment") from None


def _own_items_partition(site: SiteRef) -> str:
    return items.site_data_pk(site.org_id, site.site_id)


@dataclass(frozen=True)
class _RawEvents:
    """Web analytics' raw events, found hour by hour through the site's dirty marks."""

    def page(self, client: Any, table_name: str, site: SiteRef, cursor: str | None, limit: int) -> KeyPage:
        from tally.web.aggregate.site_data import RawEventsPager

        keys, next_cursor = RawEventsPager().page(client, table_name, site, cursor, limit)
        return KeyPage(keys=keys, cursor=next_cursor)


def _web_partition(template: str) -> Callable[[SiteRef], str]:
    return lambda site: template.format(site=site.site_id)


SITE_DATA_LOCATIONS: tuple[SiteDataLocation, ...] = (
    # raw events before the marks: the marks are how the raw events' hours are found
    SiteDataLocation("web.raw-events", "EVENTS_TABLE", _RawEvents()),
    SiteDataLocation("web.rollups.hours", "ROLLUPS_TABLE", PartitionPager(_web_partition("{site}#h"))),
    SiteDataLocation("web.rollups.days", "ROLLUPS_TABLE", PartitionPager(_web_partition("{site}#d"))),
    SiteDataLocation("web.rollups.minutes", "ROLLUPS_TABLE", PartitionPager(_web_partition("{site}#m"))),
    SiteDataLocation("web.rollups.spans", "ROLLUPS_TABLE", PartitionPager(_web_partition("{site}#span"))),
    SiteDataLocation("web.rollups.answers", "ROLLUPS_TABLE", PartitionPager(_web_partition("{site}#answer"))),
    SiteDataLocation("web.marks", "ROLLUPS_TABLE", PartitionPager(_web_partition("mark#{site}"))),
    SiteDataLocation("web.import-secret", "SALTS_TABLE", PartitionPager(_web_partition("import#{site}"))),
    SiteDataLocation("sites.own-items", "SITES_TABLE", PartitionPager(_own_items_partition)),
)
