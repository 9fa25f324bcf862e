"""The HTTP API Lambda authorizer: verifies bearer JWTs and `tly_` API keys (simple responses)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.auth.authorizer import authorize
from tally.auth.wiring import api_key_verifier, token_verifier
from tally.platform.observability import logger, metrics, tracer


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    decision = authorize(headers, tokens=token_verifier(), api_keys=api_key_verifier())
    authenticated = decision["context"]["authenticated"]  # type: ignore[index]
    metrics.add_metric(name="Authenticated" if authenticated else "Anonymous", unit="Count", value=1)
    return decision
