"""Scheduled at 00:00 UTC: create the day's visitor salt, delete salts older than 48 hours."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.recorder import record_failure
from tally.platform.observability import logger, metrics, tracer
from tally.web.visitors.job import run_rotation
from tally.web.visitors.wiring import salt_store


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tick = parse(event=event, model=EventBridgeModel)  # `time` is the scheduled time, the same for every retry
    rotation = run_rotation(salt_store(), datetime.now(UTC), scheduled=tick.time, record_failure=record_failure)
    metrics.add_metric(name="SaltCreated", unit=MetricUnit.Count, value=int(rotation.created))
    metrics.add_metric(name="SaltsDeleted", unit=MetricUnit.Count, value=len(rotation.deleted))
    summary = rotation.as_dict()
    logger.info("salts rotated", extra={f"salt_{key}": value for key, value in summary.items()})
    return summary
