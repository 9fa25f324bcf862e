"""POST /api/event — Plausible-compatible event ingest (public; CORS; 202 for accepted and dropped)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.api_failures import record_api_failure
from tally.platform.api_docs import BODY_ERRORS, errors
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.web.enrich.network import client_ip
from tally.web.enrich.settings import enrich_settings
from tally.web.ingest.api_docs import event_body
from tally.web.ingest.payload import MAX_BODY_BYTES, parse_event
from tally.web.ingest.service import RequestMeta
from tally.web.ingest.wiring import ingestor

app = TallyResolver(max_body_bytes=MAX_BODY_BYTES, on_unexpected=record_api_failure)


@app.post("/api/event", summary="Record an event (Plausible's Events API)", tags=["web analytics"],
          responses={202: {"description": "Accepted (also when dropped, e.g. a bot: `x-tally-dropped: 1`).",
                           "content": {"text/plain": {"schema": {"type": "string", "enum": ["ok"]}}},
                           "headers": {"x-tally-dropped": {"description": "`1` when the event was not counted.",
                                                           "schema": {"type": "string", "enum": ["1"]}}}},
                     **errors(*BODY_ERRORS, 503, e503="The event could not be stored: send it again.")},
          openapi_extensions=event_body())
@tracer.capture_method
def record_event() -> Response[str]:
    event = app.current_event
    payload = parse_event(event.decoded_body)
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    meta = RequestMeta(
        request_id=event.request_context.request_id,
        received_ms=int(event.request_context.time_epoch),
        ip=client_ip(event.raw_event, trust_forwarded_for=enrich_settings().trust_forwarded_for),
        user_agent=headers.get("user-agent"),
        headers=headers,
    )
    result = ingestor().accept(payload, meta)
    metrics.add_metric(name="EventsStored", unit="Count", value=result.stored)
    extra = {"x-tally-dropped": "1"} if result.dropped else {}
    return Response(status_code=202, content_type=content_types.TEXT_PLAIN, body="ok", headers=extra)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
