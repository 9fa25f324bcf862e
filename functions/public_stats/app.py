"""GET /api/v1/public/stats — platform figures for marketing pages: public, cached, rate-limited."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.api_failures import record_api_failure
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.public_stats import wiring
from tally.public_stats.figures import PublicStats
from tally.public_stats.http import RESPONSES, conditional_get, stats_response
from tally.public_stats.service import answer_public_stats

app = TallyResolver(on_unexpected=record_api_failure)


@app.get(
    "/api/v1/public/stats",
    summary="Public platform stats",
    description="Sites, pageviews, hours recorded and repositories analyzed across the platform. No auth; "
                "10 requests a minute per client IP; cached for an hour; `If-None-Match` answers 304.",
    tags=["public"],
    middlewares=[conditional_get],
    responses=RESPONSES,
)
@tracer.capture_method
def public_stats() -> Response[PublicStats]:
    runtime = wiring.runtime()
    source_ip = app.current_event.request_context.http.source_ip  # set by API Gateway, not by the client
    answer = answer_public_stats(source_ip, limiter=runtime.limiter, service=runtime.service)
    metrics.add_metric(name=f"PublicStats_{answer.served.source.value}", unit=MetricUnit.Count, value=1)
    return stats_response(answer, runtime.settings.stale_while_revalidate_s)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
