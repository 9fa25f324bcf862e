"""The deletion queue: sites marked `deleting`, their progress cursors, and their final removal.

Sites being deleted carry `queue_pk`/`queue_sk`, so they (and only they) appear in the sparse
`DeletionQueue` index, oldest request first. Progress is stored on the site item itself; writes
to it are conditional on the site still being `deleting`, so a run that lost a race to another
run's finalisation notices instead of resurrecting the item.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tally.platform.aws import DynamoTable
from tally.sites import items
from tally.sites.items import Item
from tally.sites.locations import SiteRef
from tally.sites.model import SiteStatus
from tally.sites.store import transact_write

_BATCH = 25
_BATCH_ATTEMPTS = 8


@dataclass(frozen=True)
class DeletionState:
    site: SiteRef
    domain: str
    requested_at: datetime
    location: str | None
    cursor: str | None


class DynamoDeletionQueue(DynamoTable):
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        super().__init__(table_name, client)

    def pending(self, limit: int, start: Item | None = None) -> tuple[list[SiteRef], Item | None]:
        """A page of sites waiting for deletion, oldest request first, and where the next page starts."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": items.DELETION_INDEX,
            "KeyConditionExpression": "queue_pk = :queue",
            "ExpressionAttributeValues": {":queue": {"S": items.DELETION_QUEUE_PK}},
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = self.client.query(**kwargs)
        refs = [SiteRef(org_id=i["pk"]["S"].removeprefix(items.org_pk("")),
                        site_id=i["sk"]["S"].removeprefix(items.SITE_SK_PREFIX))
                for i in response.get("Items", [])]
        return refs, response.get("LastEvaluatedKey")

    def state(self, site: SiteRef) -> DeletionState | None:
        """The site's deletion progress (strongly consistent); None once the site is gone."""
        item = self.client.get_item(TableName=self.table_name, Key=items.site_key(site.org_id, site.site_id),
                                    ConsistentRead=True).get("Item")
        if not item or item.get("status", {}).get("S") != SiteStatus.deleting.value:
            return None
        return DeletionState(
            site=site,
            domain=item["domain"]["S"],
            requested_at=datetime.fromisoformat(item["deletion_requested_at"]["S"]),
            location=item.get("deletion_location", {}).get("S"),
            cursor=item.get("deletion_cursor", {}).get("S"),
        )

    def save_progress(self, site: SiteRef, location: str, cursor: str | None) -> bool:
        """Remember where deletion stands; False when the site is no longer waiting for deletion."""
        values: dict[str, Any] = {":deleting": {"S": SiteStatus.deleting.value}, ":location": {"S": location}}
        expression = "SET deletion_location = :location"
        if cursor is None:
            expression += " REMOVE deletion_cursor"
        else:
            expression += ", deletion_cursor = :cursor"
            values[":cursor"] = {"S": cursor}
        try:
            self.client.update_item(
                TableName=self.table_name, Key=items.site_key(site.org_id, site.site_id),
                UpdateExpression=expression, ConditionExpression="#status = :deleting",
                ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=values)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def finalise(self, state: DeletionState) -> bool:
        """Delete the site item and release its domain, together; False if another run did it first."""
        site = state.site
        reasons = transact_write(self.client, [
            {"Delete": {"TableName": self.table_name, "Key": items.site_key(site.org_id, site.site_id),
                        "ConditionExpression": "#status = :deleting",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":deleting": {"S": SiteStatus.deleting.value}}}},
            {"Delete": {"TableName": self.table_name, "Key": items.claim_key(state.domain),
                        "ConditionExpression": "attribute_not_exists(pk) OR site_id = :site_id",
                        "ExpressionAttributeValues": {":site_id": {"S": site.site_id}}}},
        ])
        if reasons is None:
            return True
        if reasons[0] == "ConditionalCheckFailed":
            return False
        raise RuntimeError(f"the claim on {state.domain} belongs to another site than {site.site_id}")

    def delete_keys(self, table_name: str, keys: Sequence[Item]) -> None:
        """Delete items by key, 25 to a request, retrying what DynamoDB leaves unprocessed."""
        for start in range(0, len(keys), _BATCH):
            pending: dict[str, Any] = {table_name: [{"DeleteRequest": {"Key": dict(key)}}
                                                    for key in keys[start:start + _BATCH]]}
            for attempt in range(_BATCH_ATTEMPTS):
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
            if pending:
                raise RuntimeError(f"DynamoDB left {len(pending[table_name])} deletes unprocessed in {table_name}")
