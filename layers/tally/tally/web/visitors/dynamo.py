"""Salts in DynamoDB: `pk = "salt"`, `sk = <UTC day>`, the key as binary, `expires_at` for TTL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from tally.platform.aws import dynamodb_client, is_conditional_check_failure
from tally.web.visitors.salts import DailySalt

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SALT_PK = "salt"


class DynamoSaltTable:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = dynamodb_client()
        return self._client

    def read(self, days: Sequence[date]) -> dict[date, bytes]:
        if not days:
            return {}
        response = self.client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues={":pk": {"S": SALT_PK}, ":first": {"S": min(days).isoformat()},
                                       ":last": {"S": max(days).isoformat()}},
            ConsistentRead=True,
        )
        wanted = set(days)
        found: dict[date, bytes] = {}
        for item in response.get("Items", []):
            day = date.fromisoformat(item["sk"]["S"])
            if day in wanted and "salt" in item:
                found[day] = bytes(item["salt"]["B"])
        return found

    def create(self, salt: DailySalt) -> bool:
        try:
            self.client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": SALT_PK},
                    "sk": {"S": salt.day.isoformat()},
                    "salt": {"B": salt.key},
                    "created_at": {"S": datetime.now(UTC).isoformat(timespec="seconds")},
                    "expires_at": {"N": str(int(salt.expires_at.timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def days_before(self, day: date) -> list[date]:
        days: list[date] = []
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk < :day",
            ExpressionAttributeValues={":pk": {"S": SALT_PK}, ":day": {"S": day.isoformat()}},
            ProjectionExpression="sk",
            ConsistentRead=True,
        ):
            days.extend(date.fromisoformat(item["sk"]["S"]) for item in page.get("Items", []))
        return days

    def delete(self, day: date) -> None:
        self.client.delete_item(TableName=self._table, Key={"pk": {"S": SALT_PK}, "sk": {"S": day.isoformat()}})
