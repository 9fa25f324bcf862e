"""`tly_` API keys: shown once, stored only as a SHA-256 hash, looked up with a short cache."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from tally.auth.identity import CredentialError, Identity, parse_roles

if TYPE_CHECKING:
    from tally.auth.items import ApiKeyItem

PREFIX = "tly_"


def new_api_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyStore(Protocol):
    def find(self, key_hash: str) -> dict[str, Any] | None: ...

    def put(self, key_hash: str, record: dict[str, Any]) -> None: ...


class DynamoApiKeyStore:
    """API key records in the identity table (`tally.auth.items.ApiKeyItem`), bound on first use."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @cached_property
    def keys(self) -> type[ApiKeyItem]:
        from tally.auth.items import ApiKeyItem
        from tally.platform.entities import bind

        return bind(ApiKeyItem, self.table_name)

    def find(self, key_hash: str) -> dict[str, Any] | None:
        from tally.auth.items import SK, key_pk

        try:
            item = self.keys.get(key_pk(key_hash), SK, consistent_read=True)
        except self.keys.DoesNotExist:
            return None
        return {"key_id": item.key_id, "org_id": item.org_id, "user_id": item.user_id, "roles": item.roles,
                "revoked": bool(item.revoked), "created_at": item.created_at}

    def put(self, key_hash: str, record: dict[str, Any]) -> None:
        from tally.auth.items import SK, key_pk

        self.keys(key_pk(key_hash), SK, **record).save()


def issue_api_key(store: ApiKeyStore, *, key_id: str, org_id: str, user_id: str, roles: list[str]) -> str:
    """Create a key and store its hash; the plain key is returned once and never stored."""
    key = new_api_key()
    store.put(hash_api_key(key), {"key_id": key_id, "org_id": org_id, "user_id": user_id,
                                  "roles": ",".join(roles), "revoked": False,
                                  "created_at": datetime.now(UTC).isoformat()})
    return key


class ApiKeyVerifier:
    def __init__(self, store: ApiKeyStore, cache_s: int = 60, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.cache_s = cache_s
        self.clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def verify(self, key: str) -> Identity:
        if not key.startswith(PREFIX) or len(key) > 200:
            raise CredentialError("malformed API key")
        key_hash = hash_api_key(key)
        now = self.clock()
        cached = self._cache.get(key_hash)
        if cached is None or cached[0] <= now:
            cached = (now + self.cache_s, self.store.find(key_hash))
            self._cache[key_hash] = cached
        record = cached[1]
        if record is None:
            raise CredentialError("unknown API key")
        if record.get("revoked"):
            raise CredentialError("API key revoked")
        return Identity(user_id=str(record["user_id"]), org_id=str(record["org_id"]),
                        roles=parse_roles(str(record["roles"])), key_id=str(record["key_id"]))
