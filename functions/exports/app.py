"""Stats exports: POST /api/v1/sites/{site_id}/exports, GET /api/v1/exports/{export_id} and the caller's
export activity (with their code-analytics reads), GET /api/v1/me/stats/exports."""

import time
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.exports import service
from tally.exports.settings import exports_settings
from tally.exports.wiring import export_activity, export_files, export_store, queue_export
from tally.ops.api_failures import record_api_failure
from tally.platform.api_docs import AUTH_ERRORS, errors
from tally.platform.caller import Caller, Role
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.sites.service import get_counted_site
from tally.sites.wiring import site_store
from tally.usage.audit import ResourceRef
from tally.usage.wiring import audit_trail, usage_reader
from tally.web.query.periods import parse_range

app = TallyResolver(on_unexpected=record_api_failure)
PeriodQ = Annotated[str, Query(max_length=8, description="`day, 7d, 30d, month, 6mo, 12mo, custom`.")]
DateQ = Annotated[str | None, Query(max_length=10, description="Anchor day `YYYY-MM-DD` (default: today).")]
FromQ = Annotated[str | None, Query(alias="from", max_length=10, description="First day, with `custom`.")]
ToQ = Annotated[str | None, Query(max_length=10, description="Last day (inclusive), with `custom`.")]
NO_EXPORT = "No such export of the caller's organisation, or not the caller's (only its requester and org admins)."


def _caller(role: Role) -> Caller:
    return Caller.from_event(app.current_event.raw_event).require(role)


@app.post("/api/v1/sites/<site_id>/exports", summary="Export a period's stats as a ZIP of CSV files", tags=["exports"],
          description="The files are Plausible's CSV export (`imported_visitors`, `imported_pages`, …, one row per "
                      "day and value), computed by the stats API's own queries; a job builds the ZIP.",
          responses={202: {"description": "The export is queued."},
                     **errors(*AUTH_ERRORS, 404, 422, e404="No such site in the caller's organisation.")})
@tracer.capture_method
def request_export(site_id: Annotated[str, Path(max_length=64, description="The site's id.")],
                   period: PeriodQ = "30d", date: DateQ = None, date_from: FromQ = None,
                   to: ToQ = None) -> Response[service.ExportAccepted]:
    caller = _caller(Role.viewer)
    site = get_counted_site(site_store(), caller.org_id, site_id)
    now_ms = int(time.time() * 1000)
    days = parse_range(period, site.timezone, now_ms, on=date, from_=date_from, to=to)
    accepted = service.request_export(caller, site, days, store=export_store(), queue=queue_export,
                                      activity=export_activity(),
                                      request_id=app.current_event.request_context.request_id, now_ms=now_ms,
                                      keep_days=exports_settings().export_keep_days)
    metrics.add_metric(name="ExportRequested", unit=MetricUnit.Count, value=1)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted,
                    headers={"Location": f"/api/v1/exports/{accepted.export_id}"})


@app.get("/api/v1/exports/<export_id>", summary="An export's status, size and download URL", tags=["exports"],
         responses={200: {"description": "The export; `download_url` (valid 1 hour) once it is ready."},
                    **errors(*AUTH_ERRORS, 404, 422, e404=NO_EXPORT)})
@tracer.capture_method
def get_export(export_id: Annotated[str, Path(max_length=64, description="The export's id.")]) -> service.ExportOut:
    event = app.current_event.raw_event
    caller = Caller.from_event(event)
    # a status read is the way to a download: audited as one (tally.usage.audit), once per request
    with audit_trail().reading(event, caller, action="export.download",
                               resource=ResourceRef("export", export_id)) as read:
        caller.require(Role.viewer)
        export = service.visible_export(caller, export_id, export_store())
        read.resource = ResourceRef("export", export.export_id, export.archive_name)
        answer = service.export_out(export, export_files(), exports_settings().export_url_ttl_s)
    service.record_download(caller, export, export_activity(), app.current_event.request_context.request_id,
                            int(time.time() * 1000))
    return answer


@app.get("/api/v1/me/stats/exports", summary="The caller's export activity", tags=["me"],
         description="Exports requested and downloaded, NDJSON imports with their counts, and code-analytics reads "
                     "(the caller's `analytics.*` data-access rows, failed ones with their error code), merged "
                     "newest first and paged together on (timestamp, id).",
         responses={200: {"description": "The caller's export activity, newest first."},
                    **errors(*AUTH_ERRORS, 422)})
@tracer.capture_method
def my_exports(limit: Annotated[int, Query(ge=1, le=100, description="Rows per page.")] = 50,
               cursor: Annotated[str | None, Query(max_length=300, description="`next_cursor` of the previous page.")]
               = None) -> service.ExportActivity:
    caller = Caller.from_event(app.current_event.raw_event)
    return service.my_activity(caller, activity=export_activity(), reads=usage_reader(), store=export_store(),
                               limit=limit, cursor=cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
