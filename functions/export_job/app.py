"""The export job: SQS messages `{org_id, export_id}` → the export's days, then its ZIP (bounded, resumable)."""

import json
import time
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.exports.job import LATER_S, MAX_ATTEMPTS, ExportRun, Outcome
from tally.exports.settings import exports_settings
from tally.exports.wiring import export_files, export_store, queue_export
from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.observability import logger, metrics, tracer
from tally.sites.wiring import site_store
from tally.web.query.wiring import stats_sources

processor = BatchProcessor(event_type=EventType.SQS)
_context: dict[str, LambdaContext] = {}


def build_export(record: SQSRecord) -> None:
    message = json.loads(record.body)
    org_id, export_id = str(message["org_id"]), str(message["export_id"])
    context = _context["current"]
    run = ExportRun(exports=export_store(), files=export_files(), site=site_store().get,
                    sources=lambda: stats_sources(time_left_ms=context.get_remaining_time_in_millis()),
                    now_ms=lambda: int(time.time() * 1000), time_left_ms=context.get_remaining_time_in_millis,
                    reserve_ms=exports_settings().job_reserve_ms)
    try:
        outcome = run.run(org_id, export_id)
    except Exception as error:
        export = export_store().get(org_id, export_id)
        if export is not None and export_store().count_attempt(export) >= MAX_ATTEMPTS:
            export_store().fail(export)
            record_failure(OpsKind.export, "stats_export", error, org_id=org_id, failure_id=f"export-{export_id}")
            return  # given up on: the message is done
        raise  # retried by the queue
    logger.info("export run", extra={"export_id": export_id, "outcome": outcome.value})
    if outcome in (Outcome.more, Outcome.later):
        export = export_store().get(org_id, export_id)
        if export is not None:
            queue_export(export, delay_s=LATER_S if outcome is Outcome.later else 0)
    metrics.add_metric(name="ExportRuns", unit="Count", value=1)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _context["current"] = context
    return process_partial_response(event=event, record_handler=build_export, processor=processor, context=context)
