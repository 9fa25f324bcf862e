"""Reading one user's usage: sessions, the daily rollups, lifetime totals and audit rows.

Every read is a Query or Get in the caller's own partitions (`u#<org>#<user>#…`): no parameter can
name another user. Read units are counted by DynamoDB's sizing rules (`tally.platform.capacity`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tally.platform.aws import DynamoTable, batch_get_eventually
from tally.platform.capacity import query_read_units
from tally.usage.audit import AuditEntry, entry_from_item
from tally.usage.keys import audit_pk, day_pk, session_pk, total_pk

SESSIONS_BY_LAST_SEEN = "by_last_seen"
#: A filtered audit page reads at most this many DynamoDB pages before it answers with a cursor.
MAX_FILTERED_PAGES = 5


class UsageReader(DynamoTable):
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        super().__init__(table_name, client)
        self.read_units = 0.0

    def _query(self, **kwargs: Any) -> dict[str, Any]:
        response = self.client.query(TableName=self.table_name, **kwargs)
        self.read_units += query_read_units(response.get("Items", []), consistent=False)
        return dict(response)

    # -- sessions -----------------------------------------------------------------------------------

    def sessions(self, org_id: str, user_id: str, limit: int,
                 after: tuple[int, str] | None) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` sessions, newest last request first, after the position of a previous page."""
        pk = session_pk(org_id, user_id)
        kwargs: dict[str, Any] = {"IndexName": SESSIONS_BY_LAST_SEEN, "KeyConditionExpression": "pk = :pk",
                                  "ExpressionAttributeValues": {":pk": {"S": pk}}, "ScanIndexForward": False,
                                  "Limit": limit + 1}
        if after is not None:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": after[1]}, "ls": {"S": f"{after[0]:013d}"}}
        items = self._query(**kwargs).get("Items", [])
        return items[:limit], len(items) > limit

    def session(self, org_id: str, user_id: str, session_id: str) -> dict[str, Any] | None:
        response = self.client.get_item(TableName=self.table_name, ConsistentRead=True,
                                        Key={"pk": {"S": session_pk(org_id, user_id)}, "sk": {"S": session_id}})
        self.read_units += 1.0
        item = response.get("Item")
        return dict(item) if item else None

    def sessions_by_id(self, org_id: str, user_id: str, session_ids: list[str]) -> dict[str, dict[str, Any]]:
        pk = session_pk(org_id, user_id)
        items, units = batch_get_eventually(self.client, self.table_name,
                                            [{"pk": {"S": pk}, "sk": {"S": sid}} for sid in session_ids])
        self.read_units += units
        return {item["sk"]["S"]: item for item in items}

    # -- rollups ------------------------------------------------------------------------------------

    def days(self, org_id: str, user_id: str, first: str, last: str) -> Iterator[dict[str, Any]]:
        """The user's day rollups from `first` to `last` (inclusive, `YYYY-MM-DD`)."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": {":pk": {"S": day_pk(org_id, user_id)}, ":first": {"S": first},
                                          ":last": {"S": last}}}
        while True:
            response = self._query(**kwargs)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def total(self, org_id: str, user_id: str) -> dict[str, Any] | None:
        response = self.client.get_item(TableName=self.table_name,
                                        Key={"pk": {"S": total_pk(org_id, user_id)}, "sk": {"S": "total"}})
        self.read_units += 0.5
        item = response.get("Item")
        return dict(item) if item else None

    # -- audit rows ---------------------------------------------------------------------------------

    def audit(self, org_id: str, user_id: str, limit: int, after: tuple[int, str] | None,
              action_prefix: str | None) -> tuple[list[AuditEntry], tuple[int, str] | None]:
        """Up to `limit` audit rows, newest first, whose action starts with `action_prefix`; and where the
        next page starts (None on the last page)."""
        pk = audit_pk(org_id, user_id)
        kwargs: dict[str, Any] = {"KeyConditionExpression": "pk = :pk", "ScanIndexForward": False,
                                  "ExpressionAttributeValues": {":pk": {"S": pk}}}
        if after is not None:
            kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": f"{after[0]:013d}#{after[1]}"}}
        if action_prefix:
            kwargs["FilterExpression"] = "begins_with(#action, :prefix)"
            kwargs["ExpressionAttributeNames"] = {"#action": "action"}
            kwargs["ExpressionAttributeValues"][":prefix"] = {"S": action_prefix}
        found: list[AuditEntry] = []
        for _ in range(MAX_FILTERED_PAGES):
            kwargs["Limit"] = limit - len(found) + 1
            response = self._query(**kwargs)
            found += [entry_from_item(org_id, user_id, item) for item in response.get("Items", [])]
            if len(found) > limit:
                last = found[limit - 1]
                return found[:limit], (last.at_ms, last.request_id)
            if "LastEvaluatedKey" not in response:
                return found, None
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        # Many rows filtered out: answer what was found, and go on from where the reading stopped.
        stopped = kwargs["ExclusiveStartKey"]["sk"]["S"]
        at, _, request_id = stopped.partition("#")
        return found, (int(at), request_id)
