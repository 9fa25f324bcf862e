"""What a verified credential says about its holder; what the authorizer passes on to handlers."""

from __future__ import annotations

from dataclasses import dataclass

from tally.platform.caller import Role


@dataclass(frozen=True)
class Identity:
    user_id: str
    org_id: str
    roles: tuple[Role, ...]
    session_id: str = ""
    key_id: str = ""

    def to_context(self) -> dict[str, str | bool]:
        """The authorizer context (flat strings: what API Gateway passes on faithfully)."""
        return {
            "authenticated": True,
            "user_id": self.user_id,
            "org_id": self.org_id,
            "roles": ",".join(r.value for r in self.roles),
            "session_id": self.session_id,
            "key_id": self.key_id,
        }


class CredentialError(Exception):
    """A credential was missing, malformed, expired or not trusted. The message says which."""


def parse_roles(raw: object) -> tuple[Role, ...]:
    values = raw.split(",") if isinstance(raw, str) else list(raw) if isinstance(raw, list | tuple) else []
    roles = []
    for value in values:
        if value not in Role._value2member_map_:
            raise CredentialError(f"unknown role {value!r}")
        roles.append(Role(value))
    if not roles:
        raise CredentialError("credential carries no role")
    return tuple(roles)
