"""Platform totals in DynamoDB: counters kept exactly once as data is sealed, read with one bounded Query.

Writers that add once (site creation, code analytics when a repository is mined) call
`record_contribution` with a deterministic contribution id. The dedupe record and the
counter increment commit in one transaction whose first item is a conditional put of the dedupe
record, so a retried or duplicated contribution is counted once. Counters are spread over a fixed
number of shards (so that concurrent writers rarely touch the same item); the reader queries the
single partition `totals`, which holds exactly those shards: a bounded read, never a scan.
Web analytics, whose sealed hours are resealed and re-bucketed, keeps its share per 15-minute slot
instead (`tally.totals.slots`), adding to the same shards.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from tally.platform.aws import transact_write
from tally.totals.counters import Contribution, Totals

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

TOTALS_PK = "totals"
#: Number of counter shards. It may grow (the reader queries them all) but must never shrink.
TOTALS_SHARDS = 8
_FIELDS = tuple(f.name for f in fields(Totals))


class TotalsReader(Protocol):
    def read(self) -> Totals: ...


class DynamoTotals:
    """Totals in the public stats table: `pk=totals, sk=shard#NN` counters, `pk=contribution#<id>` dedupe."""

    def __init__(self, table_name: str, client: DynamoDBClient,
                 sleeper: Callable[[float], None] = time.sleep) -> None:
        self.table_name = table_name
        self.client = client
        self.sleeper = sleeper

    def read(self) -> Totals:
        """Sum the shards: one Query on one partition of at most TOTALS_SHARDS small items."""
        response = self.client.query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": TOTALS_PK}},
            Limit=TOTALS_SHARDS * 4,  # the shards are all there is; the limit bounds a mistake
            ReturnConsumedCapacity="TOTAL",
        )
        total = Totals()
        for item in response.get("Items", []):
            total = total + Totals(**{f: int(item[f]["N"]) if f in item else 0 for f in _FIELDS})
        return total

    def contribution_items(self, contribution_id: str, contribution: Contribution,
                           at: datetime | None = None) -> list[TransactWriteItemTypeDef]:
        """The transaction items of one contribution, for writers that seal in their own transaction.

        The first item is the conditional put of the dedupe record: when it fails the whole
        transaction is refused, and that refusal means "already counted".
        """
        recorded_at = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
        updates = {f: v for f, v in asdict(contribution).items() if v}
        dedupe: TransactWriteItemTypeDef = {"Put": {
            "TableName": self.table_name,
            "Item": {"pk": {"S": f"contribution#{contribution_id}"}, "sk": {"S": TOTALS_PK},
                     "recorded_at": {"S": recorded_at},
                     **{f: {"N": str(v)} for f, v in updates.items()}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }}
        increment = self.increment(contribution_id, contribution)
        return [dedupe] if increment is None else [dedupe, increment]

    def increment(self, key: str, delta: Totals) -> TransactWriteItemTypeDef | None:
        """The shard update adding `delta` (a difference may be negative), on the shard of `key`;
        None when there is nothing to add. Exactly once only inside a transaction with the record
        that makes it so (a dedupe record, or a slot record swapped on what was read)."""
        updates = {f: v for f, v in asdict(delta).items() if v}
        if not updates:
            return None
        return {"Update": {
            "TableName": self.table_name,
            "Key": {"pk": {"S": TOTALS_PK}, "sk": {"S": shard_key(key)}},
            "UpdateExpression": "ADD " + ", ".join(f"#{f} :{f}" for f in updates),
            "ExpressionAttributeNames": {f"#{f}": f for f in updates},
            "ExpressionAttributeValues": {f":{f}": {"N": str(v)} for f, v in updates.items()},
        }}

    def record_contribution(self, contribution_id: str, contribution: Contribution,
                            at: datetime | None = None) -> bool:
        """Add `contribution` to the totals once. False when this contribution id was already counted."""
        if not contribution_id:
            raise ValueError("a contribution needs a deterministic, non-empty id")
        items = self.contribution_items(contribution_id, contribution, at)
        # A refused dedupe record means this contribution was counted before.
        return transact_write(self.client, items, sleep=self.sleeper) is None


def shard_key(contribution_id: str) -> str:
    """The shard a contribution lands on: deterministic, so a retry touches the same item."""
    digest = hashlib.sha256(contribution_id.encode()).digest()
    return f"shard#{int.from_bytes(digest[:4], 'big') % TOTALS_SHARDS:02d}"
