"""Demo data for the local cloud: two orgs with a user of every role, an API key each, some failures,
a site each, Tally's own repository as a codebase and an export: all under fixed ids
(`tally_dev.demo_ids`), which the sample events in events/ address.

`demo` and `rival` are two tenants so that cross-tenant behaviour always has a target. Tokens are
local HS256 JWTs (`tally_dev.tokens`); API keys are stored only as hashes, through the same
`issue_api_key` the product uses; failures go through the one recorder into the failure ledger,
so the failure badge counts something real.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tally.auth.api_keys import issue_api_key
from tally.ops.kinds import OpsKind
from tally.ops.ledger import DynamoFailureLedger
from tally.ops.recorder import record_failure
from tally.platform.caller import Role
from tally_dev.demo_ids import ORGS, SITES, api_key_id, user_id
from tally_dev.demo_objects import DemoObjects, create_demo_objects
from tally_dev.tokens import DEFAULT_TTL_S, issue_token

if TYPE_CHECKING:
    from tally_dev.localcloud import LocalCloud

ROLES = (Role.viewer, Role.org_admin, Role.super_admin)

#: A few recorded failures per org (kind, operation, message): different totals for each org.
DEMO_FAILURES: dict[str, list[tuple[OpsKind, str, str]]] = {
    "demo": [
        (OpsKind.ingest, "POST /api/event", "TimeoutError: raw event write timed out"),
        (OpsKind.ingest, "POST /api/event", "ProvisionedThroughputExceeded: raw events"),
        (OpsKind.job, "rollup-seal", "job exceeded its time budget"),
        (OpsKind.email, "weekly-report", "SES rejected the message: unverified sender"),
        (OpsKind.export, "mine demo-repo", "git clone failed: repository not found"),
    ],
    "rival": [
        (OpsKind.aggregation, "aggregate batch", "event kept failing aggregation: sent to the DLQ"),
        (OpsKind.job, "retention-cleanup", "job exceeded its time budget"),
    ],
}


@dataclass
class DemoData:
    """What `load_demo_data` created, for printing and for tests."""

    tokens: dict[tuple[str, str], str] = field(default_factory=dict)  # (org, role) -> bearer JWT
    users: dict[tuple[str, str], str] = field(default_factory=dict)  # (org, role) -> user id
    api_keys: dict[str, str] = field(default_factory=dict)  # org -> tly_ key (shown once)
    failures: dict[str, int] = field(default_factory=dict)  # org -> failures recorded now
    objects: DemoObjects | None = None  # the sites, codebase and export (fixed ids)

    def token(self, org: str, role: str | Role) -> str:
        return self.tokens[(org, Role(role).value)]

    def lines(self) -> list[str]:
        """The demo credentials, one per line, as `tally dev` prints them."""
        lines = []
        for org in ORGS:
            lines.append(f"org {org}: {self.failures.get(org, 0)} failures recorded")
            for (token_org, role), token in self.tokens.items():
                if token_org == org:
                    lines.append(f"  {role:<12} ({self.users[(org, role)]}): {token}")
            lines.append(f"  {'API key':<12} (org_admin): {self.api_keys[org]}")
            for site in SITES:
                if site.org == org:
                    lines.append(f"  {'site':<12} {site.domain}: {site.site_id}")
        if self.objects is not None:
            lines.append(f"codebase {self.objects.codebase_id} (demo), export {self.objects.export_id} "
                         "(demo-viewer); every demo id: README, \"Demo ids\"")
        return lines


def user_for(org: str, role: Role) -> str:
    return user_id(org, role)


def load_demo_data(cloud: LocalCloud, *, ttl_s: int = 12 * DEFAULT_TTL_S) -> DemoData:
    """Create the demo data in a running local cloud."""
    demo = DemoData()
    key_store = LocalApiKeyStore(cloud.tables["IdentityTable"], cloud.dynamodb)
    ledger = DynamoFailureLedger(cloud.tables["OpsTable"], cloud.dynamodb)
    for org in ORGS:
        for role in ROLES:
            user = user_for(org, role)
            demo.users[(org, role.value)] = user
            demo.tokens[(org, role.value)] = issue_token(org, role.value, user=user, ttl_s=ttl_s)
        demo.api_keys[org] = issue_api_key(key_store, key_id=api_key_id(org), org_id=org,
                                           user_id=user_id(org, Role.org_admin),
                                           roles=[Role.org_admin.value], name="demo key")
        recorded = 0
        for i, (kind, operation, message) in enumerate(DEMO_FAILURES[org]):
            recorded += record_failure(kind, operation, message, org_id=org, failure_id=f"demo-{org}-{i}",
                                       ledger=ledger)
        demo.failures[org] = recorded
    demo.objects = create_demo_objects(cloud)
    return demo


class LocalApiKeyStore:
    """The product's API key item (`ApiKeyItem`), written through the local cloud's own client: this
    process is not pointed at the local cloud by its environment, as the functions are."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table_name = table_name
        self.client = client

    def find(self, key_hash: str) -> dict[str, Any] | None:
        raise NotImplementedError("the demo only issues keys")

    def create(self, key_hash: str, record: dict[str, Any]) -> None:
        """The key's record and its organisation's listing entry (`tally.auth.items`)."""
        from tally.auth.items import SK, ApiKeyItem, ApiKeyListing, key_pk, listing_pk, listing_sk

        key = ApiKeyItem(key_pk(key_hash), SK, key_id=record["key_id"], org_id=record["org_id"],
                         user_id=record["user_id"], roles=record["roles"], revoked=False,
                         created_at=record["created_at"], name=record["name"], prefix=record["prefix"])
        listing = ApiKeyListing(listing_pk(record["org_id"]), listing_sk(record["key_id"]), key_id=record["key_id"],
                                key_hash=key_hash, name=record["name"], prefix=record["prefix"],
                                roles=record["roles"], created_by=record["user_id"], created_at=record["created_at"])
        for item in (key, listing):
            self.client.put_item(TableName=self.table_name, Item=item.serialize(null_check=True))

    def listing(self, org_id: str) -> list[dict[str, Any]]:
        raise NotImplementedError("the demo only issues keys")

    def revoke(self, org_id: str, key_id: str, at: Any) -> bool:
        raise NotImplementedError("the demo only issues keys")

    def touch(self, org_id: str, key_id: str, at: Any) -> None:
        raise NotImplementedError("the demo only issues keys")
