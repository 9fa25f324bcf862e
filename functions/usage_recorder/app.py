"""The access log's subscription: records every authenticated request's usage once (tally.usage.recorder).

CloudWatch Logs invokes this asynchronously with a batch of access-log lines; a batch delivered again
(a retry, a replay) records nothing twice. A batch that cannot be recorded is counted once in the
failure ledger (kind `usage`) and raised, so Lambda retries it; after the retries it goes to
UsageRecorderDlq, which UsageRetryFunction re-drives (tally.usage.redrive).
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.platform.observability import logger, metrics, tracer
from tally.usage.redrive import LogBatch, record_batch
from tally.usage.wiring import usage_recorder


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    batch = LogBatch.of(event)
    outcome = record_batch(usage_recorder(), batch)
    metrics.add_metric(name="RequestsRecorded", unit=MetricUnit.Count, value=outcome.recorded)
    metrics.add_metric(name="RequestsAlreadyRecorded", unit=MetricUnit.Count, value=outcome.duplicates)
    logger.info("usage recorded", extra={"lines": batch.lines, "recorded": outcome.recorded,
                                         "duplicates": outcome.duplicates, "write_units": outcome.write_units})
    return {"recorded": outcome.recorded, "duplicates": outcome.duplicates}
