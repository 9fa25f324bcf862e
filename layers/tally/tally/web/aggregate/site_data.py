"""Where web analytics keeps a site's data, for the site deletion job (tally.sites.locations).

Raw events sit in one partition per UTC hour, so the job cannot list them by site directly; the
site's dirty marks (one per site-local hour that ever received an event, never deleted before the
site is) say which hours to empty. Raw events are therefore deleted before the marks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from tally.web.aggregate.raw_store import HOUR_MS, partition
from tally.web.aggregate.zones import Grain


class SiteIds(Protocol):
    @property
    def site_id(self) -> str: ...


@dataclass(frozen=True)
class RawEventsPager:
    """Keys of a site's raw events, hour partition by hour partition, found through its marks."""

    marks_table_env: str = "ROLLUPS_TABLE"

    def page(self, client: Any, table_name: str, site: SiteIds, cursor: str | None, limit: int,
             marks_table: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        import os

        marks = marks_table or os.environ[self.marks_table_env]
        state = json.loads(cursor) if cursor else {"mark": None, "marks_done": False, "hours": [], "raw": None}
        keys: list[dict[str, Any]] = []
        while len(keys) < limit:
            if not state["hours"]:
                if state["marks_done"]:
                    return keys, None
                kwargs: dict[str, Any] = {
                    "TableName": marks, "ConsistentRead": True, "Limit": 25,
                    "KeyConditionExpression": "pk = :pk AND begins_with(sk, :h)",
                    "ExpressionAttributeValues": {":pk": {"S": f"mark#{site.site_id}"},
                                                  ":h": {"S": f"{Grain.hour.value}#"}},
                    "ProjectionExpression": "sk",
                }
                if state["mark"]:
                    kwargs["ExclusiveStartKey"] = state["mark"]
                response = client.query(**kwargs)
                for item in response.get("Items", []):
                    start = int(item["sk"]["S"].split("#")[1])
                    # a site-local hour spans one UTC hour, or two in zones at :30 / :45 offsets
                    last = start + HOUR_MS - 1
                    for utc_hour in sorted({start - start % HOUR_MS, last - last % HOUR_MS}):
                        if utc_hour not in state["hours"]:
                            state["hours"].append(utc_hour)
                state["mark"] = response.get("LastEvaluatedKey")
                state["marks_done"] = state["mark"] is None
                continue
            hour = state["hours"][0]
            kwargs = {
                "TableName": table_name, "ConsistentRead": True, "Limit": limit - len(keys),
                "KeyConditionExpression": "pk = :pk", "ProjectionExpression": "pk, sk",
                "ExpressionAttributeValues": {":pk": {"S": partition(site.site_id, hour)}},
            }
            if state["raw"]:
                kwargs["ExclusiveStartKey"] = state["raw"]
            response = client.query(**kwargs)
            keys.extend(response.get("Items", []))
            state["raw"] = response.get("LastEvaluatedKey")
            if state["raw"] is None:
                state["hours"].pop(0)
            if not state["hours"] and state["marks_done"]:
                return keys, None
        return keys, json.dumps(state, sort_keys=True)


def marks_partition(site_id: str) -> str:
    return f"mark#{site_id}"
