"""The authorizer's decision: who holds this bearer credential.

Requests without valid credentials are passed on with `authenticated: false` and the reason, so
that every refusal is answered by the handler in Tally's one error shape (a 401 from API Gateway
itself would have another shape). Handlers read the caller only through `Caller.from_event`,
which refuses such requests; no handler trusts anything else.
"""

from __future__ import annotations

from collections.abc import Mapping

from tally.auth.api_keys import PREFIX, ApiKeyVerifier
from tally.auth.identity import CredentialError
from tally.auth.revocations import RevocationCheck
from tally.auth.tokens import TokenVerifier

_MAX_CREDENTIAL = 8192


def authorize(headers: Mapping[str, str], *, tokens: TokenVerifier, api_keys: ApiKeyVerifier,
              revocations: RevocationCheck | None = None) -> dict[str, object]:
    """An HTTP API 'simple response' for the request with these (lower-cased) headers."""
    raw = headers.get("authorization", "")
    scheme, _, credential = raw.strip().partition(" ")
    if not raw:
        return _anonymous("missing credentials: send Authorization: Bearer <token or tly_ key>")
    if scheme.lower() != "bearer" or not credential.strip() or len(credential) > _MAX_CREDENTIAL:
        return _anonymous("malformed Authorization header: expected Bearer <token or tly_ key>")
    credential = credential.strip()
    try:
        identity = api_keys.verify(credential) if credential.startswith(PREFIX) else tokens.verify(credential)
    except CredentialError as error:
        return _anonymous(str(error))
    if revocations is not None and revocations.revoked(identity):
        return _anonymous("session revoked: sign in again")
    return {"isAuthorized": True, "context": identity.to_context()}


def _anonymous(reason: str) -> dict[str, object]:
    return {"isAuthorized": True, "context": {"authenticated": False, "auth_message": reason}}
