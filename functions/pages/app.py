"""Tally's pages: GET / (the dashboard), /sites, /sites/{site_id}, /settings, /me/stats (my usage), and
GET /assets/{name} (their scripts and styles). Public files: the data comes from the API with the signed-in
token."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.api_failures import record_api_failure
from tally.pages.files import (
    ASSET_RESPONSES,
    PAGE_RESPONSES,
    asset_response,
    page_response,
)
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer

app = TallyResolver(on_unexpected=record_api_failure)
AssetName = Annotated[str, Path(max_length=64, description="e.g. `dashboard.js`.")]
Version = Annotated[str | None, Query(max_length=64, description="The asset's digest, as the page names it.")]


def _validators() -> tuple[str | None, str | None]:
    headers = app.current_event.headers
    return headers.get("accept-encoding"), headers.get("if-none-match")


# No return annotations: response validation would try to read gzip bytes as text.
@app.get("/", summary="The dashboard", tags=["pages"], responses=PAGE_RESPONSES,
         description="Site and period pickers, metric cards, a chart, breakdowns, realtime visitors and the "
                     "failure badge. The page is public; its data comes from the API with the signed-in token.")
@tracer.capture_method
def dashboard():
    response = page_response("dashboard", *_validators())
    metrics.add_metric(name=f"Page{response.status_code}", unit=MetricUnit.Count, value=1)
    return response


def _page(name: str):
    response = page_response(name, *_validators())
    metrics.add_metric(name=f"Page{response.status_code}", unit=MetricUnit.Count, value=1)
    return response


@app.get("/code", summary="The code analytics page", tags=["pages"], responses=PAGE_RESPONSES,
         description="Codebases with their figures; one codebase's cards, weekly commits, punch card, contributors, "
                     "branches and a mining run's progress (`?codebase=ID`). Data from the code analytics API.")
@tracer.capture_method
def code_page():
    return _page("code")


@app.get("/sites", summary="The sites page", tags=["pages"], responses=PAGE_RESPONSES,
         description="The organisation's sites; org admins add one here (domain, time zone).")
@tracer.capture_method
def sites_page():
    return _page("sites")


@app.get("/sites/<site_id>", summary="A site's page", tags=["pages"], responses=PAGE_RESPONSES,
         description="The tracker snippet with a copy button, the custom-event snippet, a live check for the "
                     "first pageview, and the site's settings (time zone, retention, deletion).")
@tracer.capture_method
def site_page(site_id: Annotated[str, Path(max_length=64, description="The site's id.")]):
    return _page("site")


@app.get("/settings", summary="The settings page", tags=["pages"], responses=PAGE_RESPONSES,
         description="API keys: create (shown once), list and revoke (org admins).")
@tracer.capture_method
def settings_page():
    return _page("settings")


@app.get("/me/stats", summary="My usage", tags=["pages"], responses=PAGE_RESPONSES,
         description="The signed-in user's own sessions, usage, data access and exports, in four tabs; its data "
                     "comes from the `/api/v1/me/stats/*` endpoints with the signed-in token.")
@tracer.capture_method
def my_usage():
    return _page("me")


@app.get("/assets/<name>", summary="A script or style sheet of the pages", tags=["pages"],
         responses=ASSET_RESPONSES)
@tracer.capture_method
def page_asset(name: AssetName, v: Version = None):
    response = asset_response(name, v, *_validators())
    metrics.add_metric(name=f"PageAsset{response.status_code}", unit=MetricUnit.Count, value=1)
    return response


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
