"""AWS clients, created on first use (never at import time) and reused for the container's life.

`boto3` itself is imported lazily so that a handler's cold import stays cheap; endpoints honour
`AWS_ENDPOINT_URL`, which is how the local cloud and the tests point everything at moto.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sqs.client import SQSClient


@cache
def dynamodb_client() -> DynamoDBClient:
    import boto3

    return boto3.client("dynamodb")


@cache
def dynamodb_fail_fast_client() -> DynamoDBClient:
    """A client that gives up quickly (two attempts, short timeouts), for callers that degrade to
    another answer rather than wait out a throttled or unreachable table."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=1, read_timeout=2)
    return boto3.client("dynamodb", config=config)


@cache
def dynamodb_streams_client() -> Any:  # no stubs for dynamodbstreams in the lock
    import boto3

    return boto3.client("dynamodbstreams")


@cache
def sqs_client() -> SQSClient:
    import boto3

    return boto3.client("sqs")


@cache
def s3_client() -> S3Client:
    """Signature version 4 (presigned URLs valid in every Region) and path-style addressing: moto's server
    and the local cloud serve buckets on one loopback endpoint."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or credentials call this)."""
    from tally.platform.entities import forget_bindings

    for client in (dynamodb_client, dynamodb_fail_fast_client, dynamodb_streams_client,
                   sqs_client, s3_client):
        client.cache_clear()
    forget_bindings()  # bound models hold a connection to the old endpoint


class DynamoTable:
    """Base of the small data-access classes: one table's name and a DynamoDB client made on first use
    (pass `client` to use another endpoint, as the local cloud's tooling and the benchmarks do)."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = dynamodb_client()
        return self._client


BATCH_GET_MAX = 100  # keys per BatchGetItem request


def batch_get_eventually(client: Any, table_name: str, keys: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                                                                  float]:
    """The items found under `keys` (eventually consistent, unprocessed keys retried) and the read
    units DynamoDB charges for them: each item by its own size, a missing one as the smallest read."""
    from tally.platform.capacity import READ_UNIT_BYTES, item_size

    found: list[dict[str, Any]] = []
    units = 0.0
    wanted = list(keys)
    while wanted:
        batch, wanted = wanted[:BATCH_GET_MAX], wanted[BATCH_GET_MAX:]
        request: dict[str, Any] = {table_name: {"Keys": batch, "ConsistentRead": False}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            items = response.get("Responses", {}).get(table_name, [])
            units += 0.5 * sum(-(-item_size(i) // READ_UNIT_BYTES) for i in items)
            units += 0.5 * (len(request[table_name]["Keys"]) - len(items))
            found.extend(items)
            request = response.get("UnprocessedKeys") or {}
    return found, units


class TransactionConflict(Exception):
    """A transaction kept colliding with other transactions in flight; the caller may retry later."""


def transact_write(client: Any, transact_items: Sequence[Any], *, attempts: int = 8,
                   sleep: Callable[[float], None] = time.sleep) -> list[str] | None:
    """Run a DynamoDB transaction: None when it committed, else each item's cancellation reason.

    A conflict with another transaction in flight is retried with jittered backoff (DynamoDB's
    advice); a failed condition is an answer, returned to the caller to interpret.
    """
    for attempt in range(attempts):
        try:
            client.transact_write_items(TransactItems=list(transact_items))
            return None
        except client.exceptions.TransactionCanceledException as error:
            reasons = [str(r.get("Code") or "None") for r in error.response.get("CancellationReasons", [])]
            reasons += ["None"] * (len(transact_items) - len(reasons))
            if "ConditionalCheckFailed" in reasons:
                return reasons
        if attempt < attempts - 1:
            sleep(random.uniform(0, 0.01 * 2**attempt))
    raise TransactionConflict(f"transaction still conflicting after {attempts} attempts")
