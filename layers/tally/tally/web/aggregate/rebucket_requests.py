"""Re-bucketing requests: a site whose marks may lie in another zone than its own, and how far the
current pass of the job got (see tally.web.aggregate.rebucket). The sites API writes them, and reads
how far the job got, through tally.sites.service's ZoneChanges seam, so this module stays light: it is
imported by that handler."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tally.platform.aws import DynamoTable
from tally.sites.model import IDLE, Rebucketing, RebucketingState
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.zones import Grain

REQUESTS_PK = "rebucket"
DAY_MS = 86_400_000
#: In a first pass, carrying a day mark (the new zone's hours and days marked, its hours recorded as
#: carried) is most of the work, and the hour marks walked after it were mostly carried with their day:
#: the days count for this share of the progress, the hours for the rest.
DAY_SHARE = 0.9
#: A first pass is not done until the job says so: its estimate stays below 1.
FIRST_PASS_MAX = 0.99


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
    passes: int = 1  # the current pass: 1 carries what was stored; later ones check that nothing is left


def estimate(request: Request, retention_days: int, oldest_ms: int | None, now_ms: int) -> Rebucketing:
    """How far the job got, from the request alone (and the start of the site's oldest day mark).

    A pass walks the day marks newest first back through the retention window, then the hour marks:
    the share of that span behind the checkpoint, days weighed `DAY_SHARE`, is the estimate."""
    since = datetime.fromtimestamp(request.requested_ms / 1000, UTC)
    if request.passes > 1:
        return Rebucketing(state=RebucketingState.running, since=since, progress=1.0, checking=True,
                           buckets_carried=request.carried)
    progress = 0.0
    if request.after is not None:
        grain, start = request.after.split("#")
        first = max(now_ms if oldest_ms is None else oldest_ms, now_ms - (retention_days + 1) * DAY_MS)
        walked = min(max((now_ms - int(start)) / max(now_ms - first, 1), 0.0), 1.0)
        progress = DAY_SHARE * walked if grain == Grain.day.value else DAY_SHARE + (1 - DAY_SHARE) * walked
    return Rebucketing(state=RebucketingState.running, since=since, progress=round(min(progress, FIRST_PASS_MAX), 3),
                       checking=False, buckets_carried=request.carried)


def _request(item: dict[str, Any]) -> Request:
    return Request(site_id=item["sk"]["S"], org_id=item["org"]["S"], generation=int(item["gen"]["N"]),
                   requested_ms=int(item["at"]["N"]), step=int(item.get("step", {"N": "0"})["N"]),
                   after=item.get("after", {}).get("S"), carried=int(item.get("carried", {"N": "0"})["N"]),
                   passes=int(item.get("pass", {"N": "1"})["N"]))


class RebucketRequests(DynamoTable):
    """Requests in the rollups table, next to the marks: `pk = rebucket`, `sk = <site id>`."""

    def changing(self, site: Any, timezone: str) -> None:
        """tally.sites.service.ZoneChanges: the site is about to change zone; (re)start its re-bucketing."""
        self.request(site.site_id, site.org_id, int(time.time() * 1000))

    def progress(self, site: Any) -> Rebucketing:
        """tally.sites.service.ZoneChanges: where the site's re-bucketing stands (two small reads while it
        runs, one when idle)."""
        item = self.client.get_item(TableName=self.table_name, Key=self._key(site.site_id),
                                    ConsistentRead=True).get("Item")
        if item is None:
            return IDLE
        oldest = DirtyMarks(self.table_name, self.client).oldest_start(site.site_id, Grain.day)
        return estimate(_request(item), site.retention_days, oldest, int(time.time() * 1000))

    def request(self, site_id: str, org_id: str, now_ms: int) -> None:
        # A new generation voids the checkpoint of a pass that is under way (it was for another zone).
        self.client.update_item(
            TableName=self.table_name, Key=self._key(site_id),
            UpdateExpression="SET org = :org, #at = :at, step = :zero, carried = :zero, #pass = :one "
                             "REMOVE #after ADD gen :one",
            ExpressionAttributeNames={"#at": "at", "#after": "after", "#pass": "pass"},
            ExpressionAttributeValues={":org": {"S": org_id}, ":at": {"N": str(now_ms)}, ":zero": {"N": "0"},
                                       ":one": {"N": "1"}},
        )

    def pending(self, limit: int) -> list[Request]:
        response = self.client.query(TableName=self.table_name, ConsistentRead=True, Limit=limit,
                                     KeyConditionExpression="pk = :pk",
                                     ExpressionAttributeValues={":pk": {"S": REQUESTS_PK}})
        return [_request(item) for item in response.get("Items", [])]

    def advance(self, request: Request, after: str | None, carried: int, *, new_pass: bool = False) -> Request | None:
        """Keep the pass's checkpoint (or start the next pass); None when the zone changed again or another
        run moved on first."""
        passes = request.passes + 1 if new_pass else request.passes
        names = {"#after": "after", "#step": "step", "#pass": "pass"}
        values: dict[str, Any] = {":g": {"N": str(request.generation)}, ":s": {"N": str(request.step)},
                                  ":next": {"N": str(request.step + 1)}, ":c": {"N": str(carried)},
                                  ":p": {"N": str(passes)}}
        update = "SET #step = :next, carried = :c, #pass = :p"
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
                       request.step + 1, after, carried, passes)

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


