"""Bearer tokens for the local cloud: HS256 JWTs signed with a fixed, public development key.

The authorizer accepts HS256 only when `TALLY_STAGE=local` (which only the local cloud sets), so
these tokens are worthless anywhere else. Issuer and audience are the template's parameter
defaults, the same values the authorizer is configured with.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

from tally_dev.template import load_template

#: The local cloud's HS256 key. Public on purpose: it is accepted only with `TALLY_STAGE=local`.
LOCAL_JWT_SECRET = "tally-local-cloud-dev-only-hs256-key-not-a-secret"

DEFAULT_TTL_S = 3600


def jwt_parameters(template: dict[str, Any] | None = None) -> tuple[str, str]:
    """(issuer, audience): the defaults of the template's `JwtIssuer` and `JwtAudience` parameters."""
    parameters = (template or load_template()).get("Parameters", {})
    return str(parameters["JwtIssuer"]["Default"]), str(parameters["JwtAudience"]["Default"])


def default_user(org: str, role: str) -> str:
    """The user id demo data and `tally token` use for a role in an org, e.g. `demo-viewer`."""
    return f"{org}-{role.replace('_', '-')}"


def issue_token(
    org: str,
    role: str | list[str],
    *,
    user: str | None = None,
    ttl_s: int = DEFAULT_TTL_S,
    now: float | None = None,
    session_id: str | None = None,
    secret: str = LOCAL_JWT_SECRET,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """A signed HS256 JWT with every claim the authorizer requires."""
    roles = [role] if isinstance(role, str) else list(role)
    default_issuer, default_audience = jwt_parameters()
    issued_at = int(time.time() if now is None else now)
    claims = {
        "iss": issuer or default_issuer,
        "aud": audience or default_audience,
        "sub": user or default_user(org, roles[0]),
        "iat": issued_at,
        "exp": issued_at + ttl_s,
        "org_id": org,
        "roles": roles,
        "sid": session_id or uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
