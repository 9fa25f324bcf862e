"""The API keys API's logic: an org admin creates (the key shown once), lists and revokes keys.

A key carries one role, `viewer` or `org_admin` (never more than its creator holds, never platform
staff), acts for its creator's organisation, and is listed by prefix, name, role, creator, creation
and last use — never the key. A revoked key is refused within the authorizer's cache lifetime
(`tally.auth.api_keys`); the listing stops showing it at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from tally.auth.api_keys import ApiKeyStore, issue_api_key, new_key_id
from tally.platform.caller import Caller, Role
from tally.platform.errors import Forbidden, NotFound

KeyRole = Literal["viewer", "org_admin"]


class KeyCreate(BaseModel):
    """POST /api/v1/keys."""

    name: str = Field(min_length=1, max_length=100, description="What the key is for, e.g. `CI export`.",
                      examples=["CI export"])
    role: KeyRole = Field(default="viewer", description="The role the key acts with.")


class ApiKey(BaseModel):
    """A key as listed: never the key itself."""

    key_id: str = Field(description="Opaque id; `DELETE /api/v1/keys/{key_id}` revokes the key.")
    name: str
    prefix: str = Field(description="The key's first characters (`tly_` and 8 more), to recognise it.")
    role: KeyRole
    created_by: str = Field(description="The user who created it.")
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="When the key was last accepted, to within the authorizer's cache lifetime (60 s).")


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The key: shown this once, stored only as its SHA-256 hash.")


class ApiKeyList(BaseModel):
    keys: list[ApiKey] = Field(description="The organisation's active keys, newest first.")


def _key(record: dict[str, object]) -> ApiKey:
    return ApiKey.model_validate({**record, "role": str(record["roles"]).split(",")[0]})


def create_key(store: ApiKeyStore, caller: Caller, body: KeyCreate, now: datetime | None = None) -> ApiKeyCreated:
    role = Role(body.role)
    if not caller.has(role):
        raise Forbidden(f"a key cannot carry more than its creator's roles ({body.role})")
    at = now or datetime.now(UTC)
    key_id = new_key_id()
    key = issue_api_key(store, key_id=key_id, org_id=caller.org_id, user_id=caller.user_id, roles=[role.value],
                        name=body.name, now=at)
    return ApiKeyCreated(key_id=key_id, name=body.name, prefix=key[:len("tly_") + 8], role=body.role,
                         created_by=caller.user_id, created_at=at, last_used_at=None, key=key)


def list_keys(store: ApiKeyStore, caller: Caller) -> ApiKeyList:
    keys = [_key(record) for record in store.listing(caller.org_id)]
    return ApiKeyList(keys=sorted(keys, key=lambda k: (k.created_at, k.key_id), reverse=True))


def revoke_key(store: ApiKeyStore, caller: Caller, key_id: str, now: datetime | None = None) -> None:
    if not store.revoke(caller.org_id, key_id, now or datetime.now(UTC)):
        raise NotFound(f"no API key {key_id!r} in your organisation")
