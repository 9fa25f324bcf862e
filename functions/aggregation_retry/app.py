"""Scheduled: re-drive stream batches that kept failing aggregation (bounded, resumable)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.aws import dynamodb_streams_client, sqs_client
from tally.platform.observability import logger, metrics, tracer
from tally.web.aggregate.redrive import redrive
from tally.web.aggregate.retry_settings import retry_settings
from tally.web.aggregate.wiring import aggregator


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = retry_settings()
    try:
        report = redrive(sqs_client(), settings.aggregation_dlq_url, dynamodb_streams_client(), aggregator(),
                         deadline=lambda: context.get_remaining_time_in_millis() < settings.job_reserve_ms,
                         max_messages=settings.retry_max_messages)
    except Exception as error:
        record_failure(OpsKind.job, "aggregation-retry", error, failure_id=f"retry#{event.get('id', '')}")
        raise
    metrics.add_metric(name="BatchesRedriven", unit="Count", value=report.redriven)
    return {"redriven": report.redriven, "failed": report.failed, "remaining": report.remaining}
