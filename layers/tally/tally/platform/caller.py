"""Who is calling: built only from the authorizer's context, never from the request itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tally.platform.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    """Platform roles, ordered: each includes the powers of the ones below it."""

    viewer = "viewer"
    org_admin = "org_admin"
    super_admin = "super_admin"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.viewer: 1, Role.org_admin: 2, Role.super_admin: 3}


@dataclass(frozen=True)
class Caller:
    user_id: str
    org_id: str
    roles: frozenset[Role]
    session_id: str | None = None
    key_id: str | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Caller:
        """Read the caller from `requestContext.authorizer.lambda` of an HTTP API v2 event.

        The authorizer lets unauthenticated requests through with `authenticated: false` so that
        the refusal is answered here, in Tally's one error shape (API Gateway's own 401 has another).
        """
        context = (event.get("requestContext") or {}).get("authorizer") or {}
        claims = context.get("lambda") or {}
        if not claims or not _truthy(claims.get("authenticated")):
            raise Unauthenticated(str(claims.get("auth_message") or "missing or invalid credentials"))
        user_id, org_id = claims.get("user_id"), claims.get("org_id")
        if not user_id or not org_id:
            raise Unauthenticated("credentials carry no user or organisation")
        roles = frozenset(Role(r) for r in str(claims.get("roles", "")).split(",") if r in Role._value2member_map_)
        return cls(
            user_id=str(user_id),
            org_id=str(org_id),
            roles=roles,
            session_id=claims.get("session_id") or None,
            key_id=claims.get("key_id") or None,
        )

    def has(self, role: Role) -> bool:
        return any(r.rank >= role.rank for r in self.roles)

    def require(self, role: Role) -> Caller:
        """Raise 403 unless the caller holds `role` or a higher one."""
        if not self.has(role):
            raise Forbidden(f"this needs the {role.value} role or higher")
        return self


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
