"""Finding the site an ingested event belongs to, by its domain, cheaply and often.

`SiteDirectory.by_domain` reads the domain claim, then the site (two eventually consistent
GetItems) and keeps the answer in a small in-memory cache: found sites for `ttl_s`, unknown
domains for the shorter `negative_ttl_s` so a new site starts counting quickly. Only active
sites are returned: events for a site being deleted are dropped like those of an unknown domain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tally.platform.aws import DynamoTable
from tally.sites.domain import InvalidDomain, normalise_domain
from tally.sites.keys import CLAIM_SK, Item, claim_pk, org_pk, site_sk
from tally.sites.model import Site, SiteStatus

Clock = Callable[[], float]


class SiteDirectory(DynamoTable):
    def __init__(self, table_name: str, client: Any | None = None, *, ttl_s: float = 60.0,
                 negative_ttl_s: float = 10.0, max_entries: int = 10_000, clock: Clock = time.monotonic) -> None:
        super().__init__(table_name, client)
        self.ttl_s = ttl_s
        self.negative_ttl_s = negative_ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._cache: dict[str, tuple[float, Site | None]] = {}
        self.reads = 0

    def by_domain(self, domain: str) -> Site | None:
        """The active site tracking `domain` (any spelling `normalise_domain` accepts), else None."""
        try:
            key = normalise_domain(domain)
        except InvalidDomain:
            return None
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        site = self._look_up(key)
        self._remember(key, site, now)
        return site

    def _look_up(self, domain: str) -> Site | None:
        from tally.sites.items import ClaimItem, SiteItem

        raw_claim = self._get({"pk": {"S": claim_pk(domain)}, "sk": {"S": CLAIM_SK}})
        if raw_claim is None:
            return None
        claim = ClaimItem.from_raw_data(raw_claim)
        raw_site = self._get({"pk": {"S": org_pk(claim.org_id)}, "sk": {"S": site_sk(claim.site_id)}})
        if raw_site is None:
            return None
        site = SiteItem.from_raw_data(raw_site).site()
        # A domain change between the two reads: the claim no longer names this site's domain.
        if site.status is not SiteStatus.active or site.domain != domain:
            return None
        return site

    def _get(self, key: Item) -> Item | None:
        # The low-level client: ingest's lookups are hot, and two eventually consistent GetItems
        # are all it needs; the models only map the items.
        self.reads += 1
        item: Item | None = self.client.get_item(TableName=self.table_name, Key=key).get("Item")
        return item

    def _remember(self, domain: str, site: Site | None, now: float) -> None:
        if domain not in self._cache and len(self._cache) >= self.max_entries:
            expired = [k for k, (until, _) in self._cache.items() if until <= now]
            for k in expired or [next(iter(self._cache))]:
                del self._cache[k]
        self._cache[domain] = (now + (self.ttl_s if site is not None else self.negative_ttl_s), site)
