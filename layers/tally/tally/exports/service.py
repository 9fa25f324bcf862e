"""The exports API's logic: request an export, read its status, list a user's export activity (exports,
imports and code-analytics reads).

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
from tally.usage.audit import AuditEntry
from tally.usage.cursor import decode_cursor, encode_cursor
from tally.usage.reads import UsageReader
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


def new_export_id() -> str:
    return "exp_" + secrets.token_hex(10)


def new_export(caller: Caller, site: Site, days: DateRange, now_ms: int, keep_days: int,
               export_id: str | None = None) -> Export:
    """A pending export; `export_id` is random unless given (the demo's is fixed)."""
    return Export(export_id=export_id or new_export_id(), org_id=caller.org_id, user_id=caller.user_id,
                  site_id=site.site_id, domain=site.domain, first=days.first, last=days.last, tz=days.tz,
                  status=ExportStatus.pending, created_at_ms=now_ms,
                  expires_at_s=now_ms // 1000 + keep_days * 86_400, next_day=days.first)


def request_export(caller: Caller, site: Site, days: DateRange, *, store: ExportStore, queue: Queue,
                   activity: DynamoActivity, request_id: str, now_ms: int, keep_days: int,
                   export_id: str | None = None) -> ExportAccepted:
    export = new_export(caller, site, days, now_ms, keep_days, export_id)
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
#: Code-analytics reads are the data-access audit rows whose action starts with this (`analytics.overview`, …).
ANALYTICS_READS = "analytics."
#: Where a row sits in the list: (timestamp ms, id), newest first; both kinds are kept in this order.
Position = tuple[int, str]


class ActivityOut(BaseModel):
    id: str = Field(description="The request that did it.")
    timestamp: datetime
    action: Literal["export.requested", "export.download", "import.events"] | str = Field(
        description="`export.requested`, `export.download`, `import.events`, or a code-analytics read: "
                    "`analytics.<read>` (`analytics.overview`, `analytics.ownership`, `analytics.summary`, …).")
    site_id: str | None = Field(default=None, description="The site exported or imported into; null for a "
                                                          "code-analytics read.")
    codebase_id: str | None = Field(default=None, description="The codebase a code-analytics read was of; null "
                                                              "for org-wide reads and for exports and imports.")
    resource: str = Field(description="The site's domain; for a code-analytics read, the codebase's name (its id "
                                      "when the read ended before the codebase was found), or the organisation's "
                                      "id for org-wide reads.")
    result: str = Field(default="ok", description="`ok`, or the error code a code-analytics read ended with "
                                                  "(`forbidden`, `not_found`, …).")
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
    rows: list[ActivityOut] = Field(description="Newest first. A page may hold fewer than `limit` rows and "
                                                "still have a `next_cursor`.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


def _moment(at_ms: int) -> datetime:
    return datetime.fromtimestamp(at_ms / 1000, UTC)


def _row_out(row: ActivityRow) -> tuple[Position, ActivityOut]:
    return (row.at_ms, row.id), ActivityOut(
        id=row.id, timestamp=_moment(row.at_ms), action=row.action, site_id=row.site_id, resource=row.resource,
        export_id=row.export_id, accepted=row.accepted, rejected=row.rejected)


def _read_out(entry: AuditEntry) -> tuple[Position, ActivityOut]:
    resource = entry.resource
    return (entry.at_ms, entry.request_id), ActivityOut(
        id=entry.request_id, timestamp=_moment(entry.at_ms), action=entry.action,
        codebase_id=resource.id if resource.kind == "codebase" else None, resource=resource.name or resource.id,
        result=entry.result)


def my_activity(caller: Caller, *, activity: DynamoActivity, reads: UsageReader, store: ExportStore, limit: int,
                cursor: str | None) -> ExportActivity:
    """One page of the caller's exports, imports and code-analytics reads, newest first.

    Each kind is read from where the previous page ended. A kind's answer holds every one of its rows
    down to where its reading stopped (a full page, or the audit reader's bound on filtered-out rows);
    the page goes down only to the shallower of the two stops, so no row of the other kind is skipped."""
    after = decode_cursor("e", cursor) if cursor else None
    exports, more_exports = activity.rows_after(caller.org_id, caller.user_id, limit, after)
    entries, reads_stop = reads.audit(caller.org_id, caller.user_id, limit, after, ANALYTICS_READS)
    stops = [(exports[-1].at_ms, exports[-1].id)] if more_exports else []
    stops += [reads_stop] if reads_stop else []
    floor = max(stops, default=None)
    rows = sorted([*map(_row_out, exports), *map(_read_out, entries)], key=lambda row: row[0], reverse=True)
    if floor is not None:
        rows = [row for row in rows if row[0] >= floor]
    next_at = rows[limit - 1][0] if len(rows) > limit else floor
    last = activity.last_export(caller.org_id, caller.user_id)
    last_out = None
    if last is not None:
        export = store.get(caller.org_id, last[0])
        last_out = LastExport(export_id=last[0], requested_at=_moment(last[1]),
                              status=export.status if export else None, domain=export.domain if export else None)
    return ExportActivity(last_export=last_out, rows=[out for _, out in rows[:limit]],
                          next_cursor=encode_cursor("e", *next_at) if next_at else None)
