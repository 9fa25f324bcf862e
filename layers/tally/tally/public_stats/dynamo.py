"""The DynamoDB client the public stats stores share, and the errors that count as "store failed".

The client fails fast (two attempts, short timeouts): this endpoint degrades to a stale or freshly
computed answer instead of waiting out a throttled or unreachable table.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

#: What a store call raises when DynamoDB throttles, errs or cannot be reached.
STORE_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)


@cache
def fail_fast_client() -> DynamoDBClient:
    """A DynamoDB client created on first use, honouring `AWS_ENDPOINT_URL` like every other client."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=1, read_timeout=2)
    return boto3.client("dynamodb", config=config)
