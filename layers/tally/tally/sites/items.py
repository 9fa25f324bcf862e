"""The sites table's entity items as pynamodb models: a site and a domain claim (keys: `keys`).

Imported lazily by the stores (pynamodb is not imported when a handler is); bound to the table
when a store is built (`tally.platform.entities.bind`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from tally.platform.entity_attributes import InstantAttribute, iso
from tally.sites.keys import CLAIM_SK, DELETION_INDEX, DELETION_QUEUE_PK, claim_pk, org_pk, site_sk
from tally.sites.model import Site, SiteStatus


class DeletionQueue(GlobalSecondaryIndex["SiteItem"]):  # type: ignore[no-untyped-call]  # pynamodb leaves it untyped
    """The sparse index of sites being deleted, oldest request first (keys only)."""

    class Meta:
        index_name = DELETION_INDEX
        projection = KeysOnlyProjection()

    queue_pk = UnicodeAttribute(hash_key=True)
    queue_sk = UnicodeAttribute(range_key=True)


class SiteItem(Model):
    """A site (`pk = ORG#{org_id}`, `sk = SITE#{site_id}`), with its deletion progress once deleting."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    site_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    domain = UnicodeAttribute()
    timezone = UnicodeAttribute()
    retention_days = NumberAttribute()
    status = UnicodeAttribute()
    created_at = InstantAttribute()
    updated_at = InstantAttribute()
    #: Set when deletion is requested: they put the site in the sparse DeletionQueue index.
    queue_pk = UnicodeAttribute(null=True)
    queue_sk = UnicodeAttribute(null=True)
    deletion_requested_at = InstantAttribute(null=True)
    #: Where the deletion job stands: the location it empties and its cursor there.
    deletion_location = UnicodeAttribute(null=True)
    deletion_cursor = UnicodeAttribute(null=True)
    deletion_queue = DeletionQueue()

    @classmethod
    def of(cls, site: Site, **attributes: Any) -> SiteItem:
        return cls(org_pk(site.org_id), site_sk(site.site_id), site_id=site.site_id, org_id=site.org_id,
                   domain=site.domain, timezone=site.timezone, retention_days=site.retention_days,
                   status=site.status.value, created_at=site.created_at, updated_at=site.updated_at, **attributes)

    @classmethod
    def key_of(cls, org_id: str, site_id: str) -> SiteItem:
        """An item holding only the key, to update or delete a site by."""
        return cls(org_pk(org_id), site_sk(site_id))

    def site(self) -> Site:
        return Site(site_id=self.site_id, org_id=self.org_id, domain=self.domain, timezone=self.timezone,
                    retention_days=int(self.retention_days), status=SiteStatus(self.status),
                    created_at=self.created_at, updated_at=self.updated_at)

    @staticmethod
    def queue_key(org_id: str, site_id: str, at: datetime) -> tuple[str, str]:
        """`queue_pk`, `queue_sk` of a site whose deletion was requested at `at`: oldest first."""
        return DELETION_QUEUE_PK, f"{iso(at)}#{org_id}#{site_id}"


class ClaimItem(Model):
    """Who holds a domain (`pk = DOMAIN#{domain}`, `sk = CLAIM`): one site on the whole platform."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    domain = UnicodeAttribute()
    org_id = UnicodeAttribute()
    site_id = UnicodeAttribute()
    claimed_at = InstantAttribute()

    @classmethod
    def of(cls, site: Site, at: datetime) -> ClaimItem:
        return cls(claim_pk(site.domain), CLAIM_SK, domain=site.domain, org_id=site.org_id, site_id=site.site_id,
                   claimed_at=at)

    @classmethod
    def key_of(cls, domain: str) -> ClaimItem:
        return cls(claim_pk(domain), CLAIM_SK)
