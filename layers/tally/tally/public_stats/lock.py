"""The recompute lock: an ownership-token lease in DynamoDB.

Acquire is a conditional put carrying a fresh random token and a lease end; it succeeds when no
lock exists or the existing lease has run out. Release is a conditional delete on that token only,
so a holder whose lease ran out (a slow or frozen Lambda) cannot release the next holder's lock —
its delete is refused. The lease bounds how long a crashed holder blocks the others.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

LOCK_PK = "lock"
#: DynamoDB's TTL removes abandoned lock items this long after their lease ended (housekeeping only).
_LOCK_ITEM_GRACE_S = 3600


@dataclass(frozen=True)
class Lease:
    """A held lock: whoever has the token owns it until `until` (epoch seconds)."""

    name: str
    token: str
    until: float


class RecomputeLock(Protocol):
    def acquire(self, now: float) -> Lease | None:
        """Take the lock when it is free or its lease ran out; None when someone else holds it."""
        ...

    def release(self, lease: Lease) -> bool:
        """Give the lock back; False when it is no longer ours (the lease ran out and was taken)."""
        ...


class DynamoLeaseLock:
    def __init__(self, table_name: str, client: DynamoDBClient, name: str = "public_stats",
                 lease_s: float = 10.0) -> None:
        self.table_name = table_name
        self.client = client
        self.name = name
        self.lease_s = lease_s

    def acquire(self, now: float) -> Lease | None:
        lease = Lease(self.name, secrets.token_hex(16), now + self.lease_s)
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": LOCK_PK},
                    "sk": {"S": self.name},
                    "token": {"S": lease.token},
                    "lease_until_ms": {"N": str(_millis(lease.until))},
                    "expires_at": {"N": str(math.ceil(lease.until + _LOCK_ITEM_GRACE_S))},
                },
                ConditionExpression="attribute_not_exists(pk) OR lease_until_ms <= :now",
                ExpressionAttributeValues={":now": {"N": str(_millis(now))}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return lease

    def release(self, lease: Lease) -> bool:
        try:
            self.client.delete_item(
                TableName=self.table_name,
                Key={"pk": {"S": LOCK_PK}, "sk": {"S": lease.name}},
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":token": {"S": lease.token}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def holder(self) -> str | None:
        """The token of the current holder (expired or not), for tests and diagnostics."""
        item = self.client.get_item(TableName=self.table_name,
                                    Key={"pk": {"S": LOCK_PK}, "sk": {"S": self.name}},
                                    ConsistentRead=True).get("Item")
        return item["token"]["S"] if item else None


def _millis(seconds: float) -> int:
    return math.floor(seconds * 1000)
