"""OpenAPI documentation of the sites routes' answers, errors included, in Tally's one error shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["not_found"])
    message: str
    details: list[dict[str, Any]] = Field(description="For invalid input: one `{field, rule}` per problem.")


class ErrorResponse(BaseModel):
    """Every error Tally answers: `{"error": {"code", "message", "details"}}`."""

    error: ErrorBody


_ERRORS = {
    401: "No or invalid credentials.",
    403: "The caller's role is too low for this.",
    404: "No such site in the caller's organisation.",
    409: "Conflict.",
    422: "Invalid values: `details` names each field and the rule it broke.",
}


def responses(success: int, description: str, *errors: int, **overrides: str) -> dict[int, Any]:
    """The `responses` of a route: its success (schema from the return type) and its errors.

    `overrides` replace an error's description, keyed `e409="..."`.
    """
    documented: dict[int, Any] = {success: {"description": description}}
    for status in errors:
        text = overrides.get(f"e{status}", _ERRORS[status])
        documented[status] = {"description": text, "content": {"application/json": {"model": ErrorResponse}}}
    return documented
