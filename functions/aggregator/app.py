"""DynamoDB stream of raw events → dirty marks on the hours they change (partial batch failures)."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.platform.observability import logger, metrics, tracer
from tally.web.aggregate.pipeline import Change, stream_change
from tally.web.aggregate.wiring import aggregator

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def mark_record(record: DynamoDBRecord) -> None:
    change: Change | None = stream_change(record.raw_event)
    if change is not None:
        aggregator().mark([change])


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # One batch touches each hour once: collect the changes, mark them together, and only when
    # that fails fall back to record-by-record so that the good records are not retried.
    changes = [c for c in map(stream_change, event.get("Records", [])) if c is not None]
    try:
        marked = aggregator().mark(changes)
    except Exception:  # noqa: BLE001 - retried record by record below, failures reported per record
        logger.exception("batch marking failed; retrying record by record")
        return process_partial_response(event=event, record_handler=mark_record, processor=processor,
                                        context=context)
    metrics.add_metric(name="EventsAggregated", unit="Count", value=len(changes))
    metrics.add_metric(name="HoursMarked", unit="Count", value=marked)
    return {"batchItemFailures": []}
