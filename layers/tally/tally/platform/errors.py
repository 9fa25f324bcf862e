"""The one error vocabulary of Tally.

Logic raises these; `tally.platform.http` maps every one of them (and every framework error) to
the single JSON shape `{"error": {"code", "message", "details"}}`. No status is chosen anywhere else.
"""

from __future__ import annotations

from typing import Any, ClassVar


class TallyError(Exception):
    """Base of every error a client may see. Subclasses fix the HTTP status and the code."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.headers = headers or {}


class MalformedRequest(TallyError):
    status = 400
    code = "malformed_request"


class Unauthenticated(TallyError):
    status = 401
    code = "unauthenticated"

    def __init__(self, message: str = "missing or invalid credentials") -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="tally"'})


class Forbidden(TallyError):
    status = 403
    code = "forbidden"


class NotFound(TallyError):
    status = 404
    code = "not_found"


class MethodNotAllowed(TallyError):
    status = 405
    code = "method_not_allowed"

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message, headers={"Allow": ", ".join(sorted(allowed))})


class Conflict(TallyError):
    status = 409
    code = "conflict"


class PayloadTooLarge(TallyError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(TallyError):
    status = 415
    code = "unsupported_media_type"

    def __init__(self, message: str, accepted: frozenset[str]) -> None:
        super().__init__(message, details=[{"field": "Content-Type", "rule": f"one of: {', '.join(sorted(accepted))}",
                                            "type": "media_type"}])


class InvalidInput(TallyError):
    status = 422
    code = "invalid_input"


class RateLimited(TallyError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after_s: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(
            f"too many requests; retry after {retry_after_s} s",
            headers={**(headers or {}), "Retry-After": str(retry_after_s)},
        )
        self.retry_after_s = retry_after_s


class ServiceUnavailable(TallyError):
    status = 503
    code = "service_unavailable"

    def __init__(self, message: str, retry_after_s: int = 30) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_s)})
        self.retry_after_s = retry_after_s


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The one error shape."""
    return {"error": {"code": code, "message": message, "details": details or []}}
