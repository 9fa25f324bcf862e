"""The HTTP API's `$default` route: every request no route matched gets a 404 or 405 in Tally's shape."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.api_failures import record_api_failure
from tally.platform.errors import MethodNotAllowed, NotFound
from tally.platform.http import TallyResolver, response_for
from tally.platform.observability import logger, metrics, tracer
from tally.platform.routes import allowed_methods

app = TallyResolver(on_unexpected=record_api_failure)


@app.not_found
def unmatched(_: NotFoundError) -> Response[Any]:
    method, path = app.current_event.request_context.http.method, app.current_event.path
    allowed = allowed_methods(path)
    if allowed and method not in allowed:
        return response_for(MethodNotAllowed(f"{method} is not allowed on {path}", sorted(allowed)))
    return response_for(NotFound(f"no route for {method} {path}"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
