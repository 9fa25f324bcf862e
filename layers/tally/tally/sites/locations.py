"""Where a site's data lives: the protocol by which capabilities declare the data they keep per site.

Each capability that stores data per site declares its own `SiteDataLocation`s (web analytics in
`tally.web.locations`): the environment variable naming the table (the deletion function's
template Environment must set it; a test checks) and a pager that lists the site's item keys a
page at a time. The site deletion function hands the job every capability's locations, in order;
sites knows none of them. Their names are stored in the job's progress cursor, so keep them
stable. The site item and its domain claim are not locations: the job removes them last, together.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tally.sites.keys import Item, site_data_pk


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
    return site_data_pk(site.org_id, site.site_id)


#: The sites capability's own location; the deletion function lists it after every other capability's.
SITES_LOCATIONS: tuple[SiteDataLocation, ...] = (
    SiteDataLocation("sites.own-items", "SITES_TABLE", PartitionPager(_own_items_partition)),
)
