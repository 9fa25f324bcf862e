"""POST /api/v1/sites/{site_id}/events/import — historic events as NDJSON (org_admin)."""

import time
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from tally.exports.activity import ActivityRow
from tally.exports.activity_wiring import export_activity
from tally.ops.api_failures import record_api_failure
from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.api_docs import AUTH_ERRORS, errors
from tally.platform.caller import Caller, Role
from tally.platform.errors import NotFound
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.sites.model import SiteStatus
from tally.sites.wiring import site_store
from tally.web.ingest.api_docs import import_body
from tally.web.ingest.import_wiring import importer
from tally.web.ingest.imports import MAX_BYTES, MAX_LINES

app = TallyResolver(max_body_bytes=MAX_BYTES, on_unexpected=record_api_failure)


class LineError(BaseModel):
    line: int = Field(description="1-based line number in the request body.")
    reason: str


class ImportResult(BaseModel):
    accepted: int = Field(description="Lines stored (a re-sent line is stored once).")
    rejected: int = Field(description="Lines refused; the first 200 are listed in `errors`.")
    dropped_bots: int = Field(description="Lines dropped because their user agent is a bot.")
    errors: list[LineError]


@app.post("/api/v1/sites/<site_id>/events/import", summary="Import historic events (NDJSON)",
          tags=["web analytics"],
          responses={202: {"description": "Good lines stored; bad lines reported."},
                     **errors(*AUTH_ERRORS, 400, 404, 413, 415, 422, e400="No line of the body is a JSON object.",
                              e404="No such site in the caller's organisation.",
                              e413=f"Over {MAX_BYTES} bytes or {MAX_LINES} lines.")},
          openapi_extensions=import_body())
@tracer.capture_method
def import_events(site_id: Annotated[str, Path(max_length=64, description="The site's id.")]) -> Response[ImportResult]:
    caller = Caller.from_event(app.current_event.raw_event).require(Role.org_admin)
    site = site_store().get(caller.org_id, site_id)
    if site is None or site.status is not SiteStatus.active:
        raise NotFound(f"no site {site_id}")
    body = app.current_event.decoded_body or ""
    report = importer().run(site, body.encode(), now_ms=int(time.time() * 1000))
    metrics.add_metric(name="EventsImported", unit="Count", value=report.accepted)
    _record_activity(caller, site_id, site.domain, report.accepted, report.rejected)
    result = ImportResult(accepted=report.accepted, rejected=report.rejected, dropped_bots=report.dropped_bots,
                          errors=[LineError(**e) for e in report.errors])
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=result)


def _record_activity(caller: Caller, site_id: str, domain: str, accepted: int, rejected: int) -> None:
    """The import as a row of its caller's export activity (once per request id); never fails the import."""
    request_id = app.current_event.request_context.request_id
    row = ActivityRow(id=request_id, at_ms=int(time.time() * 1000), action="import.events", site_id=site_id,
                      resource=domain, accepted=accepted, rejected=rejected)
    try:
        export_activity().record(caller.org_id, caller.user_id, row)
    except Exception as error:  # noqa: BLE001 - the import is stored; its activity row is not worth failing it
        record_failure(OpsKind.api, "import_activity", error, org_id=caller.org_id, failure_id=f"import-{request_id}")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
