"""The sites table behind a small seam: sites, their domain claims, and the deletion queue.

Uniqueness of a domain across the platform is a claim item written in the same transaction as
the site, on condition that no claim exists; a domain change swaps claims in one transaction;
the claim is released only when the deletion job deletes the site.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from tally.platform.aws import DynamoTable, TransactionConflict
from tally.platform.aws import transact_write as platform_transact_write
from tally.platform.errors import ServiceUnavailable
from tally.sites import items
from tally.sites.items import Item
from tally.sites.model import Site, SiteStatus
from tally.totals.counters import site_created

if TYPE_CHECKING:
    from tally.totals.store import DynamoTotals as TotalsWriter

_UPDATABLE = ("timezone", "retention_days", "domain")


@dataclass(frozen=True)
class Claim:
    """Who holds a domain."""

    domain: str
    org_id: str
    site_id: str


class DomainTaken(Exception):
    def __init__(self, domain: str, holder: Claim | None) -> None:
        super().__init__(domain)
        self.domain = domain
        self.holder = holder


class SiteChanged(Exception):
    """The site was deleted, marked for deletion or given another domain while we wrote."""


class SiteStore(Protocol):
    def create(self, site: Site, totals: TotalsWriter | None = None) -> None: ...
    def get(self, org_id: str, site_id: str) -> Site | None: ...
    def list(self, org_id: str, after_site_id: str | None, limit: int) -> tuple[list[Site], bool]: ...
    def update(self, current: Site, changes: Mapping[str, Any], at: datetime) -> Site: ...
    def mark_deleting(self, org_id: str, site_id: str, at: datetime) -> Site | None: ...
    def claim(self, domain: str, consistent: bool = True) -> Claim | None: ...


class DynamoSiteStore(DynamoTable):
    """Sites in DynamoDB."""

    # -- reads ---------------------------------------------------------------------------------

    def get(self, org_id: str, site_id: str) -> Site | None:
        item = self._get(items.site_key(org_id, site_id), consistent=True)
        return items.site_from_item(item) if item else None

    def claim(self, domain: str, consistent: bool = True) -> Claim | None:
        item = self._get(items.claim_key(domain), consistent=consistent)
        if not item:
            return None
        return Claim(domain=item["domain"]["S"], org_id=item["org_id"]["S"], site_id=item["site_id"]["S"])

    def list(self, org_id: str, after_site_id: str | None, limit: int) -> tuple[list[Site], bool]:
        """Up to `limit` sites after `after_site_id`, oldest first, and whether more follow."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": items.org_pk(org_id)},
                                          ":prefix": {"S": items.SITE_SK_PREFIX}},
            "ConsistentRead": True,
            "Limit": limit + 1,  # one more than asked: a full last page then says "no more" itself
        }
        if after_site_id:
            kwargs["ExclusiveStartKey"] = items.site_key(org_id, after_site_id)
        found = self.client.query(**kwargs).get("Items", [])
        return [items.site_from_item(i) for i in found[:limit]], len(found) > limit

    def _get(self, key: Item, *, consistent: bool) -> Item | None:
        response = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=consistent)
        item: Item | None = response.get("Item")
        return item

    # -- writes --------------------------------------------------------------------------------

    def create(self, site: Site, totals: TotalsWriter | None = None) -> None:
        """Store the site and claim its domain, both or neither; DomainTaken when it is claimed.

        With `totals`, the site is also counted in the platform totals, in the same transaction:
        exactly once."""
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self.table_name, "Item": items.site_item(site),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self.table_name, "Item": items.claim_item(site, site.created_at),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ]
        if totals is not None:
            writes += [dict(item) for item in totals.contribution_items(f"site#{site.site_id}",
                                                                        site_created(site.created_at))]
        reasons = transact_write(self.client, writes)
        if reasons is None:
            return
        if reasons[1] == "ConditionalCheckFailed":
            raise DomainTaken(site.domain, self.claim(site.domain))
        raise SiteChanged(f"site id {site.site_id} collided")  # 80 random bits: practically never

    def update(self, current: Site, changes: Mapping[str, Any], at: datetime) -> Site:
        """Apply `changes` to an active site. A new domain is claimed and the old released atomically."""
        unknown = set(changes) - set(_UPDATABLE)
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        names = {f"#{name}": name for name in changes} | {"#updated_at": "updated_at", "#status": "status"}
        values: dict[str, Any] = {f":{name}": _attribute(value) for name, value in changes.items()}
        values |= {":updated_at": {"S": items.iso(at)}, ":active": {"S": SiteStatus.active.value}}
        assignments = ", ".join(f"#{name} = :{name}" for name in [*changes, "updated_at"])
        update: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": items.site_key(current.org_id, current.site_id),
            "UpdateExpression": f"SET {assignments}",
            "ConditionExpression": "#status = :active",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        new_domain = changes.get("domain")
        if new_domain is None or new_domain == current.domain:
            try:
                response = self.client.update_item(**update, ReturnValues="ALL_NEW")
            except self.client.exceptions.ConditionalCheckFailedException:
                raise SiteChanged(current.site_id) from None
            return items.site_from_item(response["Attributes"])
        update["ConditionExpression"] = "#status = :active AND #domain = :old_domain"
        update["ExpressionAttributeNames"]["#domain"] = "domain"
        update["ExpressionAttributeValues"][":old_domain"] = {"S": current.domain}
        moved = current.model_copy(update={"domain": new_domain})
        reasons = transact_write(self.client, [
            {"Update": update},
            {"Put": {"TableName": self.table_name, "Item": items.claim_item(moved, at),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Delete": {"TableName": self.table_name, "Key": items.claim_key(current.domain),
                        "ConditionExpression": "attribute_not_exists(pk) OR site_id = :site_id",
                        "ExpressionAttributeValues": {":site_id": {"S": current.site_id}}}},
        ])
        if reasons is not None:
            if reasons[1] == "ConditionalCheckFailed":
                raise DomainTaken(new_domain, self.claim(new_domain))
            raise SiteChanged(current.site_id)
        updated = self.get(current.org_id, current.site_id)
        if updated is None:
            raise SiteChanged(current.site_id)
        return updated

    def mark_deleting(self, org_id: str, site_id: str, at: datetime) -> Site | None:
        """Mark an active site `deleting` and queue it for the deletion job.

        Returns the site as it now is (also when it was already being deleted); None if absent.
        """
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key=items.site_key(org_id, site_id),
                UpdateExpression="SET #status = :deleting, updated_at = :at, deletion_requested_at = :at, "
                                 "queue_pk = :queue, queue_sk = :queue_sk",
                ConditionExpression="#status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":deleting": {"S": SiteStatus.deleting.value}, ":active": {"S": SiteStatus.active.value},
                    ":at": {"S": items.iso(at)}, ":queue": {"S": items.DELETION_QUEUE_PK},
                    ":queue_sk": {"S": f"{items.iso(at)}#{org_id}#{site_id}"},
                },
                ReturnValues="ALL_NEW",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return self.get(org_id, site_id)  # already deleting (idempotent), or absent
        return items.site_from_item(response["Attributes"])


def transact_write(client: Any, transact_items: Sequence[dict[str, Any]]) -> list[str] | None:
    """The platform's transaction helper; conflicts that do not clear are a 503 for the sites API."""
    try:
        return platform_transact_write(client, transact_items)
    except TransactionConflict as error:
        raise ServiceUnavailable("the sites table is busy with conflicting writes; retry shortly",
                                 retry_after_s=1) from error


def _attribute(value: Any) -> dict[str, str]:
    if isinstance(value, bool):
        raise TypeError("booleans are not site fields")
    if isinstance(value, int):
        return {"N": str(value)}
    return {"S": str(value)}
