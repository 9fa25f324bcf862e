"""The access log's subscription: records every authenticated request's usage once (tally.usage.recorder).

CloudWatch Logs invokes this asynchronously with a batch of access-log lines; a batch delivered again
(a retry, a replay) records nothing twice. A batch that cannot be recorded is counted once in the
failure ledger (kind `usage`) and raised, so Lambda retries it.
"""

import hashlib
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.observability import logger, metrics, tracer
from tally.usage.records import RequestRecord
from tally.usage.wiring import usage_recorder


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logs = CloudWatchLogsEvent(event).parse_logs_data()
    lines = [line.message for line in logs.log_events]
    records = [r for r in (RequestRecord.parse(line) for line in lines) if r is not None]
    try:
        outcome = usage_recorder().record(records)
    except Exception as error:
        batch_id = hashlib.sha256("|".join(e.get_id for e in logs.log_events).encode()).hexdigest()[:32]
        record_failure(OpsKind.usage, "record usage", error, failure_id=f"usage-batch#{batch_id}")
        raise
    metrics.add_metric(name="RequestsRecorded", unit=MetricUnit.Count, value=outcome.recorded)
    metrics.add_metric(name="RequestsAlreadyRecorded", unit=MetricUnit.Count, value=outcome.duplicates)
    logger.info("usage recorded", extra={"lines": len(lines), "recorded": outcome.recorded,
                                         "duplicates": outcome.duplicates, "write_units": outcome.write_units})
    return {"recorded": outcome.recorded, "duplicates": outcome.duplicates}
