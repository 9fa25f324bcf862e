"""A secret per site, used to hash imported visitor ids: stable, never stored or returned in clear.

Kept in the salts table (`tally.web.ingest.items.ImportSecretItem`, `pk = import#<site>`), created
on first use with a conditional put, so two imports racing to create it agree on one secret.
"""

from __future__ import annotations

import secrets
import threading
from functools import cached_property
from typing import TYPE_CHECKING

from tally.platform.entities import bind

if TYPE_CHECKING:
    from tally.web.ingest.items import ImportSecretItem


def secret_partition(site_id: str) -> str:
    return f"import#{site_id}"


class SiteSecrets:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @cached_property
    def items(self) -> type[ImportSecretItem]:
        from tally.web.ingest.items import ImportSecretItem

        return bind(ImportSecretItem, self.table_name)

    def secret(self, site_id: str) -> bytes:
        with self._lock:
            if site_id not in self._cache:
                self._cache[site_id] = self._load_or_create(site_id)
            return self._cache[site_id]

    def _load_or_create(self, site_id: str) -> bytes:
        from pynamodb.exceptions import PutError

        from tally.web.ingest.items import SK

        items = self.items
        try:
            items(secret_partition(site_id), SK, secret=secrets.token_bytes(32)).save(items.pk.does_not_exist())
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            # another import created it first: read and use theirs
        return bytes(items.get(secret_partition(site_id), SK, consistent_read=True).secret)
