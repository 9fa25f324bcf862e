"""Per-client rate limit: N requests per fixed one-minute window, counted in DynamoDB.

The client is the IP API Gateway saw (`requestContext.http.sourceIp`), never a header a client can
forge. IPv6 clients are limited per /64 (one subscriber's prefix), IPv4-mapped addresses as IPv4.
The IP is never stored: a counter's key is an HMAC of the IP under a random daily salt that lives
in the table and is deleted by TTL after two days, and the counters themselves expire after two
minutes. A hit is one conditional `UpdateItem` (`ADD hits` only while `hits < limit`): the count
can never pass the limit, however many requests race, and a refused hit does not inflate it.

When the table fails the limiter fails open to a per-container counter, so a client still gets an
answer with honest headers; the failure is recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from tally.ops.kinds import OpsKind
from tally.public_stats.dynamo import STORE_ERRORS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

WINDOW_S = 60
SALT_PK = "salt"
RATE_PK_PREFIX = "ratelimit#"
_UNKNOWN_CLIENT = "unknown"

FailureSink = Callable[[OpsKind, str, BaseException], None]


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    window_s: int = WINDOW_S
    degraded: bool = False

    @property
    def retry_after_s(self) -> int:
        return self.reset_s

    def headers(self) -> dict[str, str]:
        """The RateLimit header fields (IETF httpapi draft), sent on every answer."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
            "RateLimit-Policy": f"{self.limit};w={self.window_s}",
        }


class RateCounter(Protocol):
    def hit(self, key: str, window_start: int, limit: int, expires_at: int) -> int | None:
        """Count one hit of `key` in the window unless `limit` is reached: the count after it, or None."""
        ...


class SaltSource(Protocol):
    def salt(self, day: str) -> bytes:
        """The random salt of a UTC day (`YYYY-MM-DD`), the same in every container."""
        ...


def client_address(source_ip: str | None) -> str:
    """The address a limit applies to: IPv4 as is, IPv6 as its /64, anything unparsable as one bucket."""
    try:
        address = ipaddress.ip_address((source_ip or "").strip())
    except ValueError:
        return _UNKNOWN_CLIENT
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def hashed_client(salt: bytes, address: str) -> str:
    return hmac.new(salt, address.encode(), hashlib.sha256).hexdigest()[:40]


class RateLimiter:
    def __init__(self, counter: RateCounter, salts: SaltSource, limit: int, *,
                 clock: Callable[[], float] = time.time, on_failure: FailureSink | None = None,
                 window_s: int = WINDOW_S) -> None:
        self.counter = counter
        self.salts = salts
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self.on_failure = on_failure
        self.fallback = LocalCounter()

    def hit(self, source_ip: str | None) -> RateDecision:
        now = self.clock()
        window_start = math.floor(now / self.window_s) * self.window_s
        reset_s = max(1, math.ceil(window_start + self.window_s - now))
        address = client_address(source_ip)
        degraded = False
        try:
            day = datetime.fromtimestamp(window_start, UTC).date().isoformat()
            key = hashed_client(self.salts.salt(day), address)
            count = self.counter.hit(key, window_start, self.limit, expires_at=window_start + 2 * self.window_s)
        except STORE_ERRORS as error:
            if self.on_failure is not None:
                self.on_failure(OpsKind.cache, "public_stats.rate_limit", error)
            count = self.fallback.hit(address, window_start, self.limit)
            degraded = True
        if count is None:
            return RateDecision(False, self.limit, 0, reset_s, self.window_s, degraded)
        return RateDecision(True, self.limit, max(0, self.limit - count), reset_s, self.window_s, degraded)


class DynamoRateCounter:
    """Counters `pk=ratelimit#<hmac>, sk=<window start>`, expired by TTL."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self.client = client

    def hit(self, key: str, window_start: int, limit: int, expires_at: int) -> int | None:
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": RATE_PK_PREFIX + key}, "sk": {"S": str(window_start)}},
                UpdateExpression="ADD hits :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": str(limit)},
                                           ":expires": {"N": str(expires_at)}},
                ReturnValues="UPDATED_NEW",
                ReturnConsumedCapacity="TOTAL",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        return int(response["Attributes"]["hits"]["N"])


class DynamoDailySalts:
    """One random salt per UTC day (`pk=salt, sk=ratelimit#<day>`), created once by whoever needs it
    first (a conditional put), remembered by the container, deleted by TTL two days after its day began."""

    def __init__(self, table_name: str, client: DynamoDBClient, purpose: str = "ratelimit") -> None:
        self.table_name = table_name
        self.client = client
        self.purpose = purpose
        self._known: dict[str, bytes] = {}

    def salt(self, day: str) -> bytes:
        known = self._known.get(day)
        if known is not None:
            return known
        salt = self._read(day, consistent=False) or self._create(day)
        self._known = {d: s for d, s in self._known.items() if d > day} | {day: salt}
        return salt

    def _key(self, day: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": SALT_PK}, "sk": {"S": f"{self.purpose}#{day}"}}

    def _read(self, day: str, *, consistent: bool) -> bytes | None:
        item = self.client.get_item(TableName=self.table_name, Key=self._key(day), ConsistentRead=consistent,
                                    ReturnConsumedCapacity="TOTAL").get("Item")
        return bytes(item["salt"]["B"]) if item else None

    def _create(self, day: str) -> bytes:
        salt = secrets.token_bytes(32)
        deleted_at = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=2)
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={**self._key(day), "salt": {"B": salt}, "expires_at": {"N": str(int(deleted_at.timestamp()))}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            stored = self._read(day, consistent=True)  # another container created it first: use theirs
            if stored is None:  # pragma: no cover - deleted between the two calls
                raise
            return stored
        return salt


class LocalCounter:
    """The fallback when the table fails: the same fixed windows, counted in this container only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, address: str, window_start: int, limit: int) -> int | None:
        with self._lock:
            if window_start != self._window:
                self._window, self._counts = window_start, {}
            count = self._counts.get(address, 0)
            if count >= limit:
                return None
            self._counts[address] = count + 1
            return count + 1
