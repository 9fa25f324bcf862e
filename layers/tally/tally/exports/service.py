"""The exports API's logic: request an export, read its status, list a user's export activity.

Tenancy: an export is read under the caller's org (another org's id is simply not found); within
the org only its requester and org admins see it — anyone else gets the same 404, so an export id
reveals nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from tally.exports.activity import ActivityRow, DynamoActivity
from tally.exports.model import Export, ExportStatus
from tally.exports.store import ExportFiles, ExportStore
from tally.platform.caller import Caller, Role
from tally.platform.errors import NotFound
from tally.sites.model import Site
from tally.web.query.periods import DateRange

Queue = Callable[[Export], None]


class ExportAccepted(BaseModel):
    export_id: str = Field(description="Read its status at `GET /api/v1/exports/{export_id}`.")


class ExportOut(BaseModel):
    export_id: str
    site_id: str
    domain: str
    date_from: date = Field(alias="from", description="First day exported (inclusive).")
    date_to: date = Field(alias="to", description="Last day exported (inclusive).")
    tz: str
    status: ExportStatus = Field(description="`pending`, `running`, `ready` or `failed`.")
    days: int = Field(description="Days in the range.")
    days_done: int = Field(description="Days written so far (progress).")
    size: int | None = Field(default=None, description="The ZIP's size in bytes, once ready.")
    file_name: str = Field(description="The ZIP's name (Plausible's: domain and creation day).")
    download_url: str | None = Field(default=None,
                                     description="Presigned GET of the ZIP, valid for `url_expires_in_s`.")
    url_expires_in_s: int | None = None
    created_at: datetime
    expires_at: datetime = Field(description="When the export and its ZIP are deleted.")

    model_config = {"populate_by_name": True}


def new_export(caller: Caller, site: Site, days: DateRange, now_ms: int, keep_days: int) -> Export:
    return Export(export_id="exp_" + secrets.token_hex(10), org_id=caller.org_id, user_id=caller.user_id,
                  site_id=site.site_id, domain=site.domain, first=days.first, last=days.last, tz=days.tz,
                  status=ExportStatus.pending, created_at_ms=now_ms,
                  expires_at_s=now_ms // 1000 + keep_days * 86_400, next_day=days.first)


def request_export(caller: Caller, site: Site, days: DateRange, *, store: ExportStore, queue: Queue,
                   activity: DynamoActivity, request_id: str, now_ms: int, keep_days: int) -> ExportAccepted:
    export = new_export(caller, site, days, now_ms, keep_days)
    store.create(export)
    queue(export)
    activity.record(caller.org_id, caller.user_id, ActivityRow(
        id=request_id, at_ms=now_ms, action="export.requested", site_id=site.site_id, resource=site.domain,
        export_id=export.export_id))
    activity.set_last_export(caller.org_id, caller.user_id, export.export_id, now_ms)
    return ExportAccepted(export_id=export.export_id)


def visible_export(caller: Caller, export_id: str, store: ExportStore) -> Export:
    export = store.get(caller.org_id, export_id)
    if export is None or (export.user_id != caller.user_id and not caller.has(Role.org_admin)):
        raise NotFound(f"no export {export_id}")
    return export


def record_download(caller: Caller, export: Export, activity: DynamoActivity, request_id: str, now_ms: int) -> None:
    """A read that hands out a download URL is a download of the caller's export activity."""
    if export.status is ExportStatus.ready:
        activity.record(caller.org_id, caller.user_id, ActivityRow(
            id=request_id, at_ms=now_ms, action="export.download", site_id=export.site_id, resource=export.domain,
            export_id=export.export_id))


def export_out(export: Export, files: ExportFiles | None, url_ttl_s: int) -> ExportOut:
    ready = export.status is ExportStatus.ready and files is not None
    return ExportOut(export_id=export.export_id, site_id=export.site_id, domain=export.domain,
                     date_from=export.first, date_to=export.last, tz=export.tz, status=export.status,
                     days=export.days, days_done=export.days_done, size=export.size, file_name=export.archive_name,
                     download_url=files.download_url(export, url_ttl_s) if ready and files else None,
                     url_expires_in_s=url_ttl_s if ready else None,
                     created_at=datetime.fromtimestamp(export.created_at_ms / 1000, UTC),
                     expires_at=datetime.fromtimestamp(export.expires_at_s, UTC))


# -- the caller's export activity (GET /api/v1/me/stats/exports) --------------------------------------
class ActivityOut(BaseModel):
    id: str = Field(description="The request that did it.")
    timestamp: datetime
    action: Literal["export.requested", "export.download", "import.events"] | str
    site_id: str
    resource: str = Field(description="The site's domain.")
    export_id: str | None = None
    accepted: int | None = Field(default=None, description="Import: lines stored.")
    rejected: int | None = Field(default=None, description="Import: lines refused.")


class LastExport(BaseModel):
    export_id: str
    requested_at: datetime
    status: ExportStatus | None = Field(description="Null once the export has expired.")
    domain: str | None = None


class ExportActivity(BaseModel):
    last_export: LastExport | None = Field(description="The caller's latest export request; null if none.")
    rows: list[ActivityOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


def _row_out(row: ActivityRow) -> ActivityOut:
    return ActivityOut(id=row.id, timestamp=datetime.fromtimestamp(row.at_ms / 1000, UTC), action=row.action,
                       site_id=row.site_id, resource=row.resource, export_id=row.export_id,
                       accepted=row.accepted, rejected=row.rejected)


def my_activity(caller: Caller, *, activity: DynamoActivity, store: ExportStore, limit: int,
                cursor: str | None) -> ExportActivity:
    rows, next_cursor = activity.page(caller.org_id, caller.user_id, limit, cursor)
    last = activity.last_export(caller.org_id, caller.user_id)
    last_out = None
    if last is not None:
        export = store.get(caller.org_id, last[0])
        last_out = LastExport(export_id=last[0], requested_at=datetime.fromtimestamp(last[1] / 1000, UTC),
                              status=export.status if export else None, domain=export.domain if export else None)
    return ExportActivity(last_export=last_out, rows=[_row_out(r) for r in rows], next_cursor=next_cursor)
