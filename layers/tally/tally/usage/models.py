"""What the four `/api/v1/me/stats/*` answers look like (the `/me/stats` page is built on them)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class SessionKind(StrEnum):
    token = "token"  # noqa: S105 - a session kind, not a secret
    key = "key"


class Units(BaseModel):
    requests: int = Field(0, description="Authenticated requests.")
    errors: int = Field(0, description="Those answered with a status of 400 or more.")
    read_units: float = Field(0.0, description="DynamoDB read capacity units the requests' reads used.")
    write_units: float = Field(0.0, description="DynamoDB write capacity units the requests' writes used.")


class Session(Units):
    id: str = Field(description="A token's `sid`, or an API key's session (a new one after 30 idle minutes).")
    kind: SessionKind
    key_id: str | None = Field(None, description="The API key, for a key session.")
    first_seen: datetime
    last_seen: datetime
    client: str | None = Field(None, description="Browser and OS family, e.g. `Firefox / GNU/Linux`.")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 country of the first request.")
    current: bool = Field(description="The session of the request asking.")


class SessionsPage(BaseModel):
    sessions: list[Session] = Field(description="Newest first (by last request).")
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class Day(Units):
    date: str = Field(description="UTC day, `YYYY-MM-DD`.")


class EndpointUsage(Units):
    route: str = Field(description="The API route, e.g. `GET /api/v1/sites/{site_id}/stats/overview`.")


class KeyUsage(Units):
    key_id: str


class SessionUsage(Units):
    id: str
    kind: SessionKind
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class Totals(Units):
    first_seen: datetime | None = Field(None, description="The first recorded request; null for none.")


class Usage(BaseModel):
    days: int = Field(description="Days in the series, ending today (UTC).")
    daily: list[Day] = Field(description="One point per day, oldest first, zeros included.")
    by_endpoint: list[EndpointUsage] = Field(description="The window's requests by route, most first.")
    by_api_key: list[KeyUsage] = Field(description="The window's requests by API key, most first.")
    top_sessions: list[SessionUsage] = Field(description="The window's ten biggest sessions, by requests.")
    totals: Totals = Field(description="Lifetime totals (beyond the daily rollups' 13 months).")


class ResourceOut(BaseModel):
    kind: str = Field(description="`site`, `org`, `codebase` or `export`.")
    id: str
    name: str | None = None


class AuditRow(BaseModel):
    id: str = Field(description="The request's id.")
    timestamp: datetime
    action: str = Field(description="e.g. `stats.breakdown`, `ops.failures`, `analytics.ownership`, "
                                    "`export.download`.")
    resource: ResourceOut
    result: str = Field(description="`ok`, or the error code the read ended with.")
    duration_ms: int
    read_units: float


class QueriesPage(BaseModel):
    rows: list[AuditRow] = Field(description="Newest first.")
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")
