"""Seal requests: the hours a stats query could not read within its bound, sealed first.

A query that reaches its raw read bound (`tally.web.query.reader`) answers without the spans it
left out and asks for them here: one small item per site in the rollups table (`pk = wanted`,
`sk = <site>`), the newest request replacing the older, so a bounded query costs one write. The
sealer reads the requests (one partition) before its due pages, seals the due hours of those
spans first, and removes a request once served — unless a newer one replaced it meanwhile.
Requests expire by TTL after an hour: they are a hint about order, never needed for correctness.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from tally.platform.aws import DynamoTable

PARTITION = "wanted"
TTL_S = 3_600
#: At most this many spans per request (the newest first: what the dashboard shows first).
MAX_SPANS = 50


@dataclass(frozen=True)
class SealRequest:
    site_id: str
    spans: tuple[tuple[int, int], ...]
    asked_at_ms: int


class SealRequests(DynamoTable):
    def ask(self, site_id: str, spans: list[tuple[int, int]], now_ms: int) -> None:
        """Ask for the hours of `spans` ([start, end) in UTC ms) to be sealed first."""
        newest = sorted(spans, reverse=True)[:MAX_SPANS]
        self.client.put_item(TableName=self.table_name, Item={
            "pk": {"S": PARTITION}, "sk": {"S": site_id},
            "sp": {"L": [{"L": [{"N": str(start)}, {"N": str(end)}]} for start, end in newest]},
            "at": {"N": str(now_ms)}, "x": {"N": str(now_ms // 1000 + TTL_S)},
        })

    def pending(self, limit: int = 100) -> list[SealRequest]:
        """The open requests, oldest first."""
        items = self.client.query(TableName=self.table_name, KeyConditionExpression="pk = :pk", Limit=limit,
                                  ExpressionAttributeValues={":pk": {"S": PARTITION}}).get("Items", [])
        return sorted((_request(item) for item in items), key=lambda r: r.asked_at_ms)

    def served(self, request: SealRequest) -> None:
        """Remove a served request, unless a newer one for the site replaced it."""
        # ConditionalCheckFailed: a newer request (or none) is there now, which is fine.
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.delete_item(TableName=self.table_name,
                                    Key={"pk": {"S": PARTITION}, "sk": {"S": request.site_id}},
                                    ConditionExpression="#at = :at", ExpressionAttributeNames={"#at": "at"},
                                    ExpressionAttributeValues={":at": {"N": str(request.asked_at_ms)}})


def _request(item: dict[str, Any]) -> SealRequest:
    spans = tuple((int(span["L"][0]["N"]), int(span["L"][1]["N"])) for span in item["sp"]["L"])
    return SealRequest(item["sk"]["S"], spans, int(item["at"]["N"]))
