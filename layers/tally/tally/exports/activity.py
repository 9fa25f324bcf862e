"""Each user's export activity: exports requested and downloaded, NDJSON imports with their counts.

Rows live next to the exports, under the user: `pk = <org>#activity#<user>`,
`sk = a#<ms, 13 digits>#<row id>`, newest read first. A row's id is the request's id, so a retried
delivery of the same request writes the same row once (a conditional put). Rows expire after 90 days
(TTL). The user's latest export is kept on `sk = summary` for the page's "last export" header.
`GET /api/v1/me/stats/exports` lists these rows merged with the user's code-analytics reads, which are
data-access audit rows (`tally.usage.audit`), on the same (timestamp, id) order (`tally.exports.service`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from tally.platform.aws import DynamoTable

KEEP_DAYS = 90
ROW_PREFIX = "a#"
SUMMARY_SK = "summary"


def activity_pk(org_id: str, user_id: str) -> str:
    return f"{org_id}#activity#{user_id}"


@dataclass(frozen=True)
class ActivityRow:
    id: str
    at_ms: int
    action: str  # export.requested, export.download, import.events
    site_id: str = ""
    resource: str = ""  # the site's domain
    export_id: str | None = None
    accepted: int | None = None
    rejected: int | None = None


class DynamoActivity(DynamoTable):
    def record(self, org_id: str, user_id: str, row: ActivityRow) -> bool:
        """Store the row once (False when a retry of the same request already did)."""
        item: dict[str, Any] = {
            "pk": {"S": activity_pk(org_id, user_id)}, "sk": {"S": f"{ROW_PREFIX}{row.at_ms:013d}#{row.id}"},
            "action": {"S": row.action}, "site_id": {"S": row.site_id}, "resource": {"S": row.resource},
            "expires_at": {"N": str(row.at_ms // 1000 + KEEP_DAYS * 86_400)},
        }
        if row.export_id:
            item["export_id"] = {"S": row.export_id}
        for name in ("accepted", "rejected"):
            if (value := getattr(row, name)) is not None:
                item[name] = {"N": str(value)}
        try:
            self.client.put_item(TableName=self.table_name, Item=item,
                                 ConditionExpression="attribute_not_exists(pk)")
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def set_last_export(self, org_id: str, user_id: str, export_id: str, at_ms: int) -> None:
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):  # a later one is last
            self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": activity_pk(org_id, user_id)}, "sk": {"S": SUMMARY_SK}},
                UpdateExpression="SET last_export_id = :id, last_export_at_ms = :at, expires_at = :exp",
                ConditionExpression="attribute_not_exists(last_export_at_ms) OR last_export_at_ms <= :at",
                ExpressionAttributeValues={":id": {"S": export_id}, ":at": {"N": str(at_ms)},
                                           ":exp": {"N": str(at_ms // 1000 + KEEP_DAYS * 86_400)}})

    def last_export(self, org_id: str, user_id: str) -> tuple[str, int] | None:
        found = self.client.get_item(TableName=self.table_name, ConsistentRead=True,
                                     Key={"pk": {"S": activity_pk(org_id, user_id)}, "sk": {"S": SUMMARY_SK}})
        item = found.get("Item")
        if not item:
            return None
        return item["last_export_id"]["S"], int(item["last_export_at_ms"]["N"])

    def rows_after(self, org_id: str, user_id: str, limit: int,
                   after: tuple[int, str] | None) -> tuple[list[ActivityRow], bool]:
        """Up to `limit` of the user's rows, newest first, older than the position `after` ((timestamp
        ms, id) of a previous page's end); and whether there are more."""
        pk = {"S": activity_pk(org_id, user_id)}
        request: dict[str, Any] = {
            "TableName": self.table_name, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": pk, ":prefix": {"S": ROW_PREFIX}}, "ScanIndexForward": False,
            "Limit": limit + 1}
        if after is not None:
            request["ExclusiveStartKey"] = {"pk": pk, "sk": {"S": f"{ROW_PREFIX}{after[0]:013d}#{after[1]}"}}
        items = self.client.query(**request).get("Items", [])
        return [_row(i) for i in items[:limit]], len(items) > limit


def _row(item: dict[str, Any]) -> ActivityRow:
    _, at, row_id = item["sk"]["S"].split("#", 2)

    def number(name: str) -> int | None:
        return int(item[name]["N"]) if name in item else None

    return ActivityRow(id=row_id, at_ms=int(at), action=item["action"]["S"], site_id=item["site_id"]["S"],
                       resource=item["resource"]["S"], export_id=item.get("export_id", {}).get("S"),
                       accepted=number("accepted"), rejected=number("rejected"))
