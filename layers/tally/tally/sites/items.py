"""How sites live in the sites table: keys and item shapes, in one place.

| item | pk | sk |
|---|---|---|
| a site | `ORG#{org_id}` | `SITE#{site_id}` |
| a domain claim (platform-wide uniqueness) | `DOMAIN#{domain}` | `CLAIM` |
| data a site owns in this table | `ORG#{org_id}#SITE#{site_id}` | anything |

An organisation's sites share its partition, so listing them is a strongly consistent Query whose
key starts with the caller's org id (DESIGN.md, Tenancy). Sites being deleted also carry
`queue_pk`/`queue_sk`, which put them in the sparse `DeletionQueue` index the deletion job reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tally.sites.model import Site, SiteStatus

SITE_SK_PREFIX = "SITE#"
CLAIM_SK = "CLAIM"
DELETION_INDEX = "DeletionQueue"
DELETION_QUEUE_PK = "deleting"

Item = dict[str, dict[str, Any]]


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def site_key(org_id: str, site_id: str) -> Item:
    return {"pk": {"S": org_pk(org_id)}, "sk": {"S": f"{SITE_SK_PREFIX}{site_id}"}}


def claim_key(domain: str) -> Item:
    return {"pk": {"S": f"DOMAIN#{domain}"}, "sk": {"S": CLAIM_SK}}


def site_data_pk(org_id: str, site_id: str) -> str:
    """The partition holding items a site owns in the sites table (deleted with the site)."""
    return f"ORG#{org_id}#SITE#{site_id}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def site_item(site: Site) -> Item:
    return {
        **site_key(site.org_id, site.site_id),
        "site_id": {"S": site.site_id},
        "org_id": {"S": site.org_id},
        "domain": {"S": site.domain},
        "timezone": {"S": site.timezone},
        "retention_days": {"N": str(site.retention_days)},
        "status": {"S": site.status.value},
        "created_at": {"S": iso(site.created_at)},
        "updated_at": {"S": iso(site.updated_at)},
    }


def site_from_item(item: Item) -> Site:
    return Site(
        site_id=item["site_id"]["S"],
        org_id=item["org_id"]["S"],
        domain=item["domain"]["S"],
        timezone=item["timezone"]["S"],
        retention_days=int(item["retention_days"]["N"]),
        status=SiteStatus(item["status"]["S"]),
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
    )


def claim_item(site: Site, at: datetime) -> Item:
    return {
        **claim_key(site.domain),
        "domain": {"S": site.domain},
        "org_id": {"S": site.org_id},
        "site_id": {"S": site.site_id},
        "claimed_at": {"S": iso(at)},
    }
