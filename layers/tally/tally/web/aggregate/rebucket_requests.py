"""Re-bucketing requests: a site whose marks may lie in another zone than its own, and how far the
current pass of the job got (see tally.web.aggregate.rebucket). The sites API writes them through
tally.sites.service's ZoneChanges seam, so this module stays light: it is imported by that handler."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tally.platform.aws import DynamoTable

REQUESTS_PK = "rebucket"


@dataclass(frozen=True)
class Request:
    """A site whose marks may lie in another zone than its own, and how far the current pass got."""

    site_id: str
    org_id: str
    generation: int
    requested_ms: int
    step: int = 0
    after: str | None = None  # sort key of the last mark the pass went through
    carried: int = 0  # marks carried in this pass so far


def _request(item: dict[str, Any]) -> Request:
    return Request(site_id=item["sk"]["S"], org_id=item["org"]["S"], generation=int(item["gen"]["N"]),
                   requested_ms=int(item["at"]["N"]), step=int(item.get("step", {"N": "0"})["N"]),
                   after=item.get("after", {}).get("S"), carried=int(item.get("carried", {"N": "0"})["N"]))


class RebucketRequests(DynamoTable):
    """Requests in the rollups table, next to the marks: `pk = rebucket`, `sk = <site id>`."""

    def changing(self, site: Any, timezone: str) -> None:
        """tally.sites.service.ZoneChanges: the site is about to change zone; (re)start its re-bucketing."""
        self.request(site.site_id, site.org_id, int(time.time() * 1000))

    def request(self, site_id: str, org_id: str, now_ms: int) -> None:
        # A new generation voids the checkpoint of a pass that is under way (it was for another zone).
        self.client.update_item(
            TableName=self.table_name, Key=self._key(site_id),
            UpdateExpression="SET org = :org, #at = :at, step = :zero, carried = :zero REMOVE #after ADD gen :one",
            ExpressionAttributeNames={"#at": "at", "#after": "after"},
            ExpressionAttributeValues={":org": {"S": org_id}, ":at": {"N": str(now_ms)}, ":zero": {"N": "0"},
                                       ":one": {"N": "1"}},
        )

    def pending(self, limit: int) -> list[Request]:
        response = self.client.query(TableName=self.table_name, ConsistentRead=True, Limit=limit,
                                     KeyConditionExpression="pk = :pk",
                                     ExpressionAttributeValues={":pk": {"S": REQUESTS_PK}})
        return [_request(item) for item in response.get("Items", [])]

    def advance(self, request: Request, after: str | None, carried: int) -> Request | None:
        """Keep the pass's checkpoint; None when the zone changed again or another run moved on first."""
        names = {"#after": "after", "#step": "step"}
        values: dict[str, Any] = {":g": {"N": str(request.generation)}, ":s": {"N": str(request.step)},
                                  ":next": {"N": str(request.step + 1)}, ":c": {"N": str(carried)}}
        update = "SET #step = :next, carried = :c"
        if after is None:
            update += " REMOVE #after"
        else:
            update += ", #after = :after"
            values[":after"] = {"S": after}
        try:
            self.client.update_item(TableName=self.table_name, Key=self._key(request.site_id),
                                    UpdateExpression=update, ConditionExpression="gen = :g AND #step = :s",
                                    ExpressionAttributeNames=names, ExpressionAttributeValues=values)
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return Request(request.site_id, request.org_id, request.generation, request.requested_ms,
                       request.step + 1, after, carried)

    def finish(self, request: Request) -> bool:
        """Remove the request, unless the zone changed again (or another run moved on) meanwhile."""
        try:
            self.client.delete_item(TableName=self.table_name, Key=self._key(request.site_id),
                                    ConditionExpression="gen = :g AND #step = :s",
                                    ExpressionAttributeNames={"#step": "step"},
                                    ExpressionAttributeValues={":g": {"N": str(request.generation)},
                                                               ":s": {"N": str(request.step)}})
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    @staticmethod
    def _key(site_id: str) -> dict[str, Any]:
        return {"pk": {"S": REQUESTS_PK}, "sk": {"S": site_id}}


