"""Code analytics reads: GET /api/v1/analytics/{summary,codebases} (org admins: every codebase; codebase
admins: theirs) and GET /api/v1/codebases/{id}/analytics/{overview,activity,ownership,branches,status}
(org admins and that codebase's admins)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.code import analytics
from tally.code.access import NO_CODEBASE
from tally.code.ids import ID_PATTERN
from tally.code.wiring import code_store, export_store
from tally.ops.api_failures import record_api_failure
from tally.platform.api_docs import AUTH_ERRORS, errors
from tally.platform.caller import Caller
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.usage.audit import ResourceRef
from tally.usage.wiring import audit_trail

app = TallyResolver(on_unexpected=record_api_failure)
CodebaseId = Annotated[str, Path(pattern=ID_PATTERN, description="The codebase's id.")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=analytics.MAX_PAGE, description="Rows per page.")]
ONE = "/api/v1/codebases/<codebase_id>/analytics"
MISSING = f"{NO_CODEBASE} Or it has not been mined yet."
Document = dict[str, Any]


@contextmanager
def audited(action: str, kind: str, resource_id: str | None = None) -> Iterator[tuple[Caller, Callable[[Any], None]]]:
    """The caller, and a callback naming the codebase read; the read is audited as `analytics.<action>`."""
    event = app.current_event.raw_event
    caller = Caller.from_event(event)
    with audit_trail().reading(event, caller, action=f"analytics.{action}",
                               resource=ResourceRef(kind, resource_id or caller.org_id)) as read:
        def seen(codebase: Any) -> None:
            read.resource = ResourceRef("codebase", codebase.codebase_id, codebase.name)

        yield caller, seen


@app.get("/api/v1/analytics/summary", summary="Code analytics summary", tags=["code"],
         description="Totals, languages and top contributors (display name and salted identity hash, no email) over "
                     "every codebase for an org admin, over the codebases they administer for a codebase admin.",
         responses={200: {"description": "The summary."}, **errors(*AUTH_ERRORS, 503)})
@tracer.capture_method
def summary() -> Document:
    with audited("summary", "org") as (caller, _):
        return analytics.summary(code_store(), export_store(), caller)


@app.get("/api/v1/analytics/codebases", summary="Codebases with their figures", tags=["code"],
         responses={200: {"description": "The codebases the caller may see."}, **errors(*AUTH_ERRORS, 503)})
@tracer.capture_method
def codebases() -> Document:
    with audited("codebases", "org") as (caller, _):
        return analytics.codebases(code_store(), export_store(), caller)


@app.get("/api/v1/codebases/<codebase_id>/analytics/overview", summary="A codebase's overview", tags=["code"],
         responses={200: {"description": "overview.json"}, **errors(*AUTH_ERRORS, 404, 422, 503, e404=MISSING)})
@tracer.capture_method
def overview(codebase_id: CodebaseId) -> Document:
    with audited("overview", "codebase", codebase_id) as (caller, seen):
        return analytics.export(code_store(), export_store(), caller, codebase_id, "overview", seen)


@app.get("/api/v1/codebases/<codebase_id>/analytics/activity", summary="A codebase's activity (UTC)", tags=["code"],
         responses={200: {"description": "activity.json"}, **errors(*AUTH_ERRORS, 404, 422, 503, e404=MISSING)})
@tracer.capture_method
def activity(codebase_id: CodebaseId) -> Document:
    with audited("activity", "codebase", codebase_id) as (caller, seen):
        return analytics.export(code_store(), export_store(), caller, codebase_id, "activity", seen)


@app.get("/api/v1/codebases/<codebase_id>/analytics/ownership", tags=["code"],
         summary="A codebase's contributors and bus factor",
         description="Contributors (with their emails: only a codebase's admins and org admins read this) in pages.",
         responses={200: {"description": "ownership.json, one page of contributors."},
                    **errors(*AUTH_ERRORS, 404, 422, 503, e404=MISSING)})
@tracer.capture_method
def ownership(codebase_id: CodebaseId, cursor: Cursor = None, limit: Limit = analytics.DEFAULT_PAGE) -> Document:
    with audited("ownership", "codebase", codebase_id) as (caller, seen):
        return analytics.paged(code_store(), export_store(), caller, codebase_id, "ownership", "contributors",
                               cursor, limit, seen)


@app.get("/api/v1/codebases/<codebase_id>/analytics/branches", tags=["code"],
         summary="A codebase's branches, ahead/behind the default one",
         responses={200: {"description": "branches.json, one page of branches."},
                    **errors(*AUTH_ERRORS, 404, 422, 503, e404=MISSING)})
@tracer.capture_method
def branches(codebase_id: CodebaseId, cursor: Cursor = None, limit: Limit = analytics.DEFAULT_PAGE) -> Document:
    with audited("branches", "codebase", codebase_id) as (caller, seen):
        return analytics.paged(code_store(), export_store(), caller, codebase_id, "branches", "branches", cursor,
                               limit, seen)


@app.get("/api/v1/codebases/<codebase_id>/analytics/status", summary="A codebase's mining status", tags=["code"],
         description="state (queued, running, succeeded, failed), phase, commits_done / commits_total, "
                     "seconds per phase, started/finished, error.",
         responses={200: {"description": "status.json"}, **errors(*AUTH_ERRORS, 404, 422, 503, e404=MISSING)})
@tracer.capture_method
def status(codebase_id: CodebaseId) -> Document:
    with audited("status", "codebase", codebase_id) as (caller, seen):
        return analytics.export(code_store(), export_store(), caller, codebase_id, "status", seen)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
