"""How sites are keyed in the sites table, in one place (pure: no pynamodb, cheap to import).

| item | pk | sk |
|---|---|---|
| a site | `ORG#{org_id}` | `SITE#{site_id}` |
| a domain claim (platform-wide uniqueness) | `DOMAIN#{domain}` | `CLAIM` |
| data a site owns in this table | `ORG#{org_id}#SITE#{site_id}` | anything |

An organisation's sites share its partition, so listing them is a strongly consistent Query whose
key starts with the caller's org id (docs/design.md, Tenancy). Sites being deleted also carry
`queue_pk`/`queue_sk`, which put them in the sparse `DeletionQueue` index the deletion job reads.
The items themselves are the pynamodb models of `tally.sites.items`.
"""

from __future__ import annotations

from typing import Any

SITE_SK_PREFIX = "SITE#"
CLAIM_SK = "CLAIM"
DELETION_INDEX = "DeletionQueue"
DELETION_QUEUE_PK = "deleting"

#: A key or item as the low-level client sees it (attribute-value maps).
Item = dict[str, dict[str, Any]]


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def site_sk(site_id: str) -> str:
    return f"{SITE_SK_PREFIX}{site_id}"


def claim_pk(domain: str) -> str:
    return f"DOMAIN#{domain}"


def site_data_pk(org_id: str, site_id: str) -> str:
    """The partition holding items a site owns in the sites table (deleted with the site)."""
    return f"ORG#{org_id}#SITE#{site_id}"
