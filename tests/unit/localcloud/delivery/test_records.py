"""The events the local cloud delivers are the ones Lambda delivers: checked against Powertools' parser models."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
    DynamoDBStreamModel,
    EventBridgeModel,
    SqsModel,
)
from dateutil.tz import tzlocal

from tally_dev.localcloud.event_sources import ScheduleSource
from tally_dev.localcloud.records import (
    eventbridge_scheduled_event,
    scheduler_input,
    sqs_record,
    stream_failure_record,
    stream_record,
)
from tally_dev.localcloud.schedules import schedule_payload
from tally_dev.template import functions, load_template, resolve

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/tally-local-EventsTable/stream/2026-11-25T22:10:36.992"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:tally-local-Inbox"


def moto_stream_record(sequence: str = "1100000000017454423009") -> dict:
    """A record as boto3 returns it from moto's GetRecords (ApproximateCreationDateTime parsed)."""
    return {
        "eventID": "711fcb38915a40b5aa3053d19d33fb99", "eventName": "INSERT", "eventVersion": "1.0",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {"ApproximateCreationDateTime": datetime(2026, 11, 25, 22, 10, 37, tzinfo=tzlocal()),
                     "Keys": {"pk": {"S": "site#1"}, "sk": {"S": "e-1"}},
                     "NewImage": {"pk": {"S": "site#1"}, "sk": {"S": "e-1"}, "n": {"N": "3"}},
                     "SequenceNumber": sequence, "SizeBytes": 218, "StreamViewType": "NEW_IMAGE"},
    }


def test_a_stream_record_is_delivered_as_lambda_delivers_it():
    record = stream_record(moto_stream_record(), STREAM_ARN)

    parsed = DynamoDBStreamModel.model_validate({"Records": [record]}).Records[0]
    assert record["eventSourceARN"] == STREAM_ARN
    assert record["eventVersion"] == "1.1"
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1795644637  # epoch seconds, a number
    assert parsed.dynamodb.NewImage == {"pk": "site#1", "sk": "e-1", "n": 3}
    assert parsed.dynamodb.SequenceNumber == "1100000000017454423009"
    assert json.loads(json.dumps(record)) == record  # plain JSON, as it crosses to the worker


def test_an_sqs_message_is_delivered_as_lambda_delivers_it():
    message = {
        "MessageId": "909db0e1-0918-4fa8-ac6d-a23eec70ba10", "ReceiptHandle": "gqyx", "Body": "hi",
        "MD5OfBody": "49f68a5c8493ec2c0bf489821c21fc3b", "MD5OfMessageAttributes": "a512aac9938034acb0b3c3d965944bf1",
        "Attributes": {"SenderId": "AIDAIT2UOQQY3AUEKVGXU", "SentTimestamp": "1795644637164",
                       "ApproximateReceiveCount": "1", "ApproximateFirstReceiveTimestamp": "1795644637169"},
        "MessageAttributes": {"kind": {"StringValue": "x", "DataType": "String"},
                              "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"}},
    }

    record = sqs_record(message, QUEUE_ARN)

    parsed = SqsModel.model_validate({"Records": [record]}).Records[0]
    assert (parsed.messageId, parsed.body, parsed.eventSourceARN) == (message["MessageId"], "hi", QUEUE_ARN)
    assert record["messageAttributes"]["kind"] == {"stringValue": "x", "stringListValues": [],
                                                   "binaryListValues": [], "dataType": "String"}
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert list(record["attributes"]) == ["ApproximateReceiveCount", "SentTimestamp", "SenderId",
                                          "ApproximateFirstReceiveTimestamp"]


def test_an_exhausted_stream_batch_sends_the_invocation_record_aws_sends():
    batch = [stream_record(moto_stream_record(s), STREAM_ARN) for s in ("1100000000017454423010",
                                                                         "1100000000017454423012")]

    record = stream_failure_record(batch, shard_id="shardId-00000001541626099285-f35f62ef", stream_arn=STREAM_ARN,
                                   function_name="tally-local-AggregatorFunction", request_id="r-1",
                                   condition="RetryAttemptsExhausted", invoke_count=5, function_error="Unhandled",
                                   now=datetime(2026, 11, 25, 22, 11, 0, 123000, tzinfo=UTC))

    assert record == {
        "requestContext": {
            "requestId": "r-1",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:tally-local-AggregatorFunction",
            "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 5},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-25T22:11:00.123Z",
        "DDBStreamBatchInfo": {"shardId": "shardId-00000001541626099285-f35f62ef",
                               "startSequenceNumber": "1100000000017454423010",
                               "endSequenceNumber": "1100000000017454423012",
                               "approximateArrivalOfFirstRecord": "2026-11-25T22:10:37Z",
                               "approximateArrivalOfLastRecord": "2026-11-25T22:10:37Z",
                               "batchSize": 2, "streamArn": STREAM_ARN},
    }
    DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(record)


def test_records_discarded_after_item_failures_carry_no_function_error():
    batch = [stream_record(moto_stream_record(), STREAM_ARN)]

    record = stream_failure_record(batch, shard_id="s", stream_arn=STREAM_ARN, function_name="f", request_id="r",
                                   condition="RetryAttemptsExhausted", invoke_count=2, function_error=None)

    assert "functionError" not in record["responseContext"]
    DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(record)


def test_a_schedule_rule_sends_eventbridges_scheduled_event():
    event = eventbridge_scheduled_event("tally-local-TickFunctionEveryMinute",
                                        datetime(2026, 11, 25, 12, 0, tzinfo=UTC))

    parsed = EventBridgeModel.model_validate(event)
    assert (parsed.source, parsed.detail_type, event["time"]) == ("aws.events", "Scheduled Event",
                                                                   "2026-11-25T12:00:00Z")
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/tally-local-TickFunctionEveryMinute"]


def test_a_schedule_v2_input_gets_the_schedulers_context_attributes():
    template = load_template()
    source = functions(template)["SiteDeletionFunction"].events["Every15Minutes"]["Properties"]
    text = resolve(source["Input"], template, {})

    event = scheduler_input(text, schedule_name="tally-local-SiteDeletionFunctionEvery15Minutes",
                            scheduled=datetime(2026, 11, 25, 12, 15, tzinfo=UTC), execution_id="d32c5kddcf5bb8c3")

    parsed = EventBridgeModel.model_validate(event)
    assert (parsed.source, event["time"], event["id"]) == ("aws.scheduler", "2026-11-25T12:15:00Z", "d32c5kddcf5bb8c3")
    assert event["resources"] == [
        "arn:aws:scheduler:us-east-1:123456789012:schedule/default/tally-local-SiteDeletionFunctionEvery15Minutes"]


def test_a_schedule_v2_without_input_sends_the_empty_default_notification():
    source = ScheduleSource(function="SealerFunction", name="EveryMinute", kind="ScheduleV2",
                            expression="rate(1 minute)")

    assert schedule_payload(source, "tally-local-SealerFunctionEveryMinute", datetime.now(UTC), None) == {}
