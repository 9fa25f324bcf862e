"""Scheduled: re-drive access-log batches the usage recorder kept failing (bounded; tally.usage.redrive)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.platform.aws import sqs_client
from tally.platform.observability import logger, metrics, tracer
from tally.usage.redrive import redrive
from tally.usage.retry_settings import usage_retry_settings
from tally.usage.wiring import usage_recorder


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = usage_retry_settings()
    report = redrive(sqs_client(), settings.usage_dlq_url, usage_recorder(),
                     deadline=lambda: context.get_remaining_time_in_millis() < settings.job_reserve_ms,
                     max_messages=settings.retry_max_messages)
    metrics.add_metric(name="UsageBatchesRedriven", unit=MetricUnit.Count, value=report.redriven)
    return {"redriven": report.redriven, "failed": report.failed, "remaining": report.remaining}
