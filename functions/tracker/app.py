"""GET (and HEAD) /js/script.js — the tracker websites embed: public, cached by browsers, gzipped when allowed."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.api_failures import record_api_failure
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.web.tracker import RESPONSES, script_response, without_body

app = TallyResolver(on_unexpected=record_api_failure)


@app.get(
    "/js/script.js",
    summary="The tracker script",
    description="Pageviews, SPA navigation, custom events, outbound links and file downloads; no cookies. "
                "No auth; `If-None-Match` answers 304; gzipped when `Accept-Encoding` allows.",
    tags=["web"],
    responses=RESPONSES,
)
@tracer.capture_method
def tracker_script():  # no return annotation: response validation would try to read gzip bytes as text
    headers = app.current_event.headers
    response = script_response(headers.get("accept-encoding"), headers.get("if-none-match"))
    metrics.add_metric(name=f"TrackerScript{response.status_code}", unit=MetricUnit.Count, value=1)
    return response


@app.head(
    "/js/script.js",
    summary="The tracker script's headers",
    description="What `GET` answers (status, ETag, caching, encoding), without a body.",
    tags=["web"],
    responses=RESPONSES,
)
@tracer.capture_method
def tracker_script_head():  # no return annotation, as for GET
    headers = app.current_event.headers
    response = script_response(headers.get("accept-encoding"), headers.get("if-none-match"))
    return without_body(response)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
