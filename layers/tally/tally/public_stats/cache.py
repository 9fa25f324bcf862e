"""The cached answer: versioned, carrying its compute time, refreshed early by XFetch.

A cached value carries a version that only grows: a writer stores version `v + 1` after reading
version `v`, with a write conditional on the stored version being lower. A slow writer whose value
was overtaken can therefore never overwrite the newer one.

Early recomputation follows XFetch (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache
Stampede Prevention", VLDB 2015): a reader recomputes when `now - delta * beta * ln(rand) >= expiry`,
where `delta` is how long the last recomputation took. One reader thus refreshes the value shortly
before it expires, while everyone else keeps reading it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tally.public_stats.figures import PublicStats

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CACHE_PK = "cache"
#: XFetch's beta: 1.0 is the paper's optimum; above 1 favours earlier recomputation.
DEFAULT_BETA = 1.0


def xfetch_due(now: float, expiry: float, delta_s: float, rand: float, beta: float = DEFAULT_BETA) -> bool:
    """Whether a reader at `now` should recompute: `now - delta * beta * ln(rand) >= expiry`.

    `rand` is uniform in (0, 1]; a value of 0 (impossible for such a draw, possible for a careless
    caller) is read as the smallest positive float: the earliest recompute any draw can ask for.
    """
    r = rand if rand > 0 else math.ulp(0.0)
    return now - max(delta_s, 0.0) * beta * math.log(min(r, 1.0)) >= expiry


@dataclass(frozen=True)
class CachedStats:
    """One computed answer as cached: the figures' JSON, its version, its freshness and compute time."""

    version: int
    payload: str
    computed_at: float
    fresh_until: float
    delta_s: float

    @property
    def stats(self) -> PublicStats:
        return PublicStats.model_validate_json(self.payload)

    @property
    def etag(self) -> str:
        """A strong entity tag naming this version and this exact content."""
        digest = hashlib.sha256(self.payload.encode()).hexdigest()[:16]
        return f'"v{self.version}-{digest}"'

    def is_fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def recompute_due(self, now: float, rand: float, beta: float = DEFAULT_BETA) -> bool:
        return xfetch_due(now, self.fresh_until, self.delta_s, rand, beta)


class StatsCache(Protocol):
    def read(self, *, consistent: bool = False) -> CachedStats | None:
        """The cached answer, or None when nothing was ever cached (or it was deleted by TTL)."""
        ...

    def write_if_newer(self, entry: CachedStats, keep_until: float) -> bool:
        """Store `entry` unless the stored version is at least as new; True when it was stored."""
        ...


class DynamoStatsCache:
    """The cached answer as one item `pk=cache, sk=<name>`; DynamoDB's TTL drops it at `keep_until`."""

    def __init__(self, table_name: str, client: DynamoDBClient, name: str = "public_stats") -> None:
        self.table_name = table_name
        self.client = client
        self.name = name

    def read(self, *, consistent: bool = False) -> CachedStats | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key={"pk": {"S": CACHE_PK}, "sk": {"S": self.name}},
            ConsistentRead=consistent,
            ReturnConsumedCapacity="TOTAL",
        )
        item = response.get("Item")
        if not item:
            return None
        return CachedStats(
            version=int(item["version"]["N"]),
            payload=item["payload"]["S"],
            computed_at=int(item["computed_at_ms"]["N"]) / 1000,
            fresh_until=int(item["fresh_until_ms"]["N"]) / 1000,
            delta_s=int(item["delta_ms"]["N"]) / 1000,
        )

    def write_if_newer(self, entry: CachedStats, keep_until: float) -> bool:
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": CACHE_PK},
                    "sk": {"S": self.name},
                    "version": {"N": str(entry.version)},
                    "payload": {"S": entry.payload},
                    "computed_at_ms": {"N": str(round(entry.computed_at * 1000))},
                    "fresh_until_ms": {"N": str(round(entry.fresh_until * 1000))},
                    "delta_ms": {"N": str(math.ceil(entry.delta_s * 1000))},
                    "expires_at": {"N": str(math.ceil(keep_until))},
                },
                ConditionExpression="attribute_not_exists(pk) OR version < :version",
                ExpressionAttributeValues={":version": {"N": str(entry.version)}},
                ReturnConsumedCapacity="TOTAL",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False  # the stored version is as new or newer: never overwrite it
        return True
