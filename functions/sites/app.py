"""Sites: GET/POST /api/v1/sites, GET/PATCH/DELETE /api/v1/sites/{site_id}. Viewers read, org admins write."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.api_failures import record_api_failure
from tally.platform.api_docs import AUTH_ERRORS, BODY_ERRORS, errors
from tally.platform.caller import Caller, Role
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.sites import service
from tally.sites.model import Site, SiteCreate, SiteDetail, SitePage, SitePatch
from tally.sites.wiring import site_store
from tally.totals.wiring import totals_writer
from tally.web.aggregate.rebucket_wiring import rebucket_requests

app = TallyResolver(on_unexpected=record_api_failure)
SiteId = Annotated[str, Path(max_length=64, description="The site's id.")]
TAKEN = "The domain is already registered on Tally."
NO_SITE = "No such site in the caller's organisation."


def caller(role: Role) -> Caller:
    return Caller.from_event(app.current_event.raw_event).require(role)


@app.get("/api/v1/sites", summary="List sites", tags=["sites"],
         responses={200: {"description": "The organisation's sites, oldest first."}, **errors(*AUTH_ERRORS, 422)})
@tracer.capture_method
def list_sites(
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE, description="Sites per page.")]
    = service.DEFAULT_PAGE_SIZE,
) -> SitePage:
    return service.list_sites(site_store(), caller(Role.viewer).org_id, cursor, limit)


@app.post("/api/v1/sites", summary="Add a site", tags=["sites"], status_code=201,
          responses={201: {"description": "The new site.", "headers": {"Location": {
                         "description": "The new site's path.", "schema": {"type": "string"}}}},
                     **errors(*AUTH_ERRORS, *BODY_ERRORS, 409, e409=TAKEN)})
@tracer.capture_method
def create_site(site: SiteCreate) -> Response[Site]:
    created = service.create_site(site_store(), caller(Role.org_admin).org_id, site, totals=totals_writer())
    metrics.add_metric(name="SiteCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created,
                    headers={"Location": f"/api/v1/sites/{created.site_id}"})


@app.get("/api/v1/sites/<site_id>", summary="Read a site", tags=["sites"],
         description="With `rebucketing`: after a time zone change, how far the background job got in carrying "
                     "the stored hours and days into the new zone (stats are exact meanwhile).",
         responses={200: {"description": "The site."}, **errors(*AUTH_ERRORS, 404, 422, e404=NO_SITE)})
@tracer.capture_method
def get_site(site_id: SiteId) -> SiteDetail:
    site = service.get_site(site_store(), caller(Role.viewer).org_id, site_id)
    return service.with_progress(site, rebucket_requests())


@app.patch("/api/v1/sites/<site_id>", summary="Change a site's domain, time zone or retention", tags=["sites"],
           responses={200: {"description": "The site as changed; a new time zone starts its `rebucketing`."},
                      **errors(*AUTH_ERRORS, *BODY_ERRORS, 404, 409, e404=NO_SITE,
                               e409=f"{TAKEN} Or the site is being deleted, or changed meanwhile.")})
@tracer.capture_method
def update_site(site_id: SiteId, patch: SitePatch) -> SiteDetail:
    site = service.update_site(site_store(), caller(Role.org_admin).org_id, site_id, patch,
                               zone_changes=rebucket_requests())
    return service.with_progress(site, rebucket_requests())


@app.delete("/api/v1/sites/<site_id>", summary="Delete a site", tags=["sites"], status_code=202,
            description="Marks the site `deleting` and answers at once; the scheduled deletion job removes its "
                        "data, then the site, and only then frees its domain. Repeating the request is harmless.",
            responses={202: {"description": "The site, now `deleting`."},
                       **errors(*AUTH_ERRORS, 404, 422, e404=NO_SITE)})
@tracer.capture_method
def delete_site(site_id: SiteId) -> Site:
    site = service.delete_site(site_store(), caller(Role.org_admin).org_id, site_id)
    metrics.add_metric(name="SiteDeletionRequested", unit=MetricUnit.Count, value=1)
    return site


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
