"""A secret per site, used to hash imported visitor ids: stable, never stored or returned in clear.

Kept in the salts table (`pk = import#<site>`), created on first use with a conditional put, so
two imports racing to create it agree on one secret.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from typing import Any

from tally.platform.aws import DynamoTable


def secret_partition(site_id: str) -> str:
    return f"import#{site_id}"


class SiteSecrets(DynamoTable):
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        super().__init__(table_name, client)
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def secret(self, site_id: str) -> bytes:
        with self._lock:
            if site_id not in self._cache:
                self._cache[site_id] = self._load_or_create(site_id)
            return self._cache[site_id]

    def _load_or_create(self, site_id: str) -> bytes:
        key = {"pk": {"S": secret_partition(site_id)}, "sk": {"S": "secret"}}
        # ConditionalCheckFailed: another import created it first; read and use theirs.
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.put_item(TableName=self.table_name, Item={**key, "secret": {"B": secrets.token_bytes(32)}},
                                 ConditionExpression="attribute_not_exists(pk)")
        item = self.client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True)["Item"]
        return bytes(item["secret"]["B"])
