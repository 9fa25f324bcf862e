"""`tly_` API keys: shown once, stored only as a SHA-256 hash, looked up with a short cache.

A key is two items written in one transaction (`tally.auth.items`): the record the authorizer finds
by the key's hash, and the organisation's listing entry (prefix, name, created, last used). Revoking
marks the record revoked and removes the listing entry, also in one transaction. The authorizer
caches a lookup for `cache_s` (`API_KEY_CACHE_S`, 60 s in `template.yaml`): a revoked key is refused
by every container at most that long after its revocation. Each fresh lookup of a valid key also
notes when it was last used (so "last used" is exact to within the cache's lifetime).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from tally.auth.identity import CredentialError, Identity, parse_roles

if TYPE_CHECKING:
    from tally.auth.items import ApiKeyItem, ApiKeyListing

PREFIX = "tly_"
#: How much of a key the listing shows: `tly_` and 8 characters of its 43 random ones.
SHOWN_PREFIX_LENGTH = len(PREFIX) + 8
logger = logging.getLogger(__name__)


def new_api_key() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def new_key_id() -> str:
    return "key_" + secrets.token_hex(8)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyStore(Protocol):
    def find(self, key_hash: str) -> dict[str, Any] | None: ...

    def create(self, key_hash: str, record: dict[str, Any]) -> None: ...

    def listing(self, org_id: str) -> list[dict[str, Any]]: ...

    def revoke(self, org_id: str, key_id: str, at: datetime) -> bool: ...

    def touch(self, org_id: str, key_id: str, at: datetime) -> None: ...


class DynamoApiKeyStore:
    """API key records in the identity table (`tally.auth.items`), bound on first use."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    @cached_property
    def keys(self) -> type[ApiKeyItem]:
        from tally.auth.items import ApiKeyItem
        from tally.platform.entities import bind

        return bind(ApiKeyItem, self.table_name)

    @cached_property
    def listings(self) -> type[ApiKeyListing]:
        from tally.auth.items import ApiKeyListing
        from tally.platform.entities import bind

        return bind(ApiKeyListing, self.table_name)

    def find(self, key_hash: str) -> dict[str, Any] | None:
        from tally.auth.items import SK, key_pk

        try:
            item = self.keys.get(key_pk(key_hash), SK, consistent_read=True)
        except self.keys.DoesNotExist:
            return None
        return {"key_id": item.key_id, "org_id": item.org_id, "user_id": item.user_id, "roles": item.roles,
                "revoked": bool(item.revoked), "created_at": item.created_at}

    def create(self, key_hash: str, record: dict[str, Any]) -> None:
        """The key's record and its listing entry, both or neither (a repeated hash or id is refused)."""
        from tally.auth.items import SK, key_pk, listing_pk, listing_sk
        from tally.platform.entities import commit, put

        keys, listings = self.keys, self.listings
        key = keys(key_pk(key_hash), SK, key_id=record["key_id"], org_id=record["org_id"],
                   user_id=record["user_id"], roles=record["roles"], revoked=False,
                   created_at=record["created_at"], name=record["name"], prefix=record["prefix"])
        listing = listings(listing_pk(record["org_id"]), listing_sk(record["key_id"]), key_id=record["key_id"],
                           key_hash=key_hash, name=record["name"], prefix=record["prefix"], roles=record["roles"],
                           created_by=record["user_id"], created_at=record["created_at"])
        reasons = commit([put(key, keys.pk.does_not_exist()), put(listing, listings.pk.does_not_exist())])
        if reasons is not None:
            raise RuntimeError(f"API key {record['key_id']} collided: {reasons}")  # 256 random bits: never

    def listing(self, org_id: str) -> list[dict[str, Any]]:
        from tally.auth.items import LISTING_SK_PREFIX, listing_pk

        listings = self.listings
        return [{"key_id": item.key_id, "name": item.name, "prefix": item.prefix, "roles": item.roles,
                 "created_by": item.created_by, "created_at": item.created_at, "last_used_at": item.last_used_at}
                for item in listings.query(listing_pk(org_id), listings.sk.startswith(LISTING_SK_PREFIX),
                                           consistent_read=True)]

    def revoke(self, org_id: str, key_id: str, at: datetime) -> bool:
        """Mark the key revoked and drop it from the listing; False when the organisation has no such key."""
        from tally.auth.items import SK, key_pk, listing_pk, listing_sk
        from tally.platform.entities import commit, delete, update

        listings, keys = self.listings, self.keys
        try:
            listing = listings.get(listing_pk(org_id), listing_sk(key_id), consistent_read=True)
        except listings.DoesNotExist:
            return False
        key = keys(key_pk(listing.key_hash), SK)
        reasons = commit([
            update(key, [keys.revoked.set(True), keys.revoked_at.set(at.isoformat())],
                   keys.org_id == org_id),
            delete(listing, listings.pk.exists()),
        ])
        return reasons is None

    def touch(self, org_id: str, key_id: str, at: datetime) -> None:
        from pynamodb.exceptions import UpdateError

        from tally.auth.items import listing_pk, listing_sk

        listings = self.listings
        with contextlib.suppress(UpdateError):  # revoked meanwhile: nothing to note
            listings(listing_pk(org_id), listing_sk(key_id)).update(
                actions=[listings.last_used_at.set(at.isoformat())], condition=listings.pk.exists())


def issue_api_key(store: ApiKeyStore, *, key_id: str, org_id: str, user_id: str, roles: list[str],
                  name: str = "API key", now: datetime | None = None) -> str:
    """Create a key and store its hash; the plain key is returned once and never stored."""
    key = new_api_key()
    store.create(hash_api_key(key), {"key_id": key_id, "org_id": org_id, "user_id": user_id,
                                     "roles": ",".join(roles), "name": name, "prefix": key[:SHOWN_PREFIX_LENGTH],
                                     "created_at": (now or datetime.now(UTC)).isoformat()})
    return key


class ApiKeyVerifier:
    def __init__(self, store: ApiKeyStore, cache_s: int = 60, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.cache_s = cache_s
        self.clock = clock
        self.wall_clock = wall_clock
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def verify(self, key: str) -> Identity:
        if not key.startswith(PREFIX) or len(key) > 200:
            raise CredentialError("malformed API key")
        key_hash = hash_api_key(key)
        now = self.clock()
        cached = self._cache.get(key_hash)
        fresh = cached is None or cached[0] <= now
        if fresh:
            cached = (now + self.cache_s, self.store.find(key_hash))
            self._cache[key_hash] = cached
        assert cached is not None
        record = cached[1]
        if record is None:
            raise CredentialError("unknown API key")
        if record.get("revoked"):
            raise CredentialError("API key revoked")
        identity = Identity(user_id=str(record["user_id"]), org_id=str(record["org_id"]),
                            roles=parse_roles(str(record["roles"])), key_id=str(record["key_id"]))
        if fresh:
            self._note_use(identity)
        return identity

    def _note_use(self, identity: Identity) -> None:
        """Last used, once per cache lifetime; a failure to note it never refuses a valid key."""
        try:
            self.store.touch(identity.org_id, identity.key_id, self.wall_clock())
        except Exception:  # bookkeeping only
            logger.warning("could not note an API key's last use", exc_info=True)
