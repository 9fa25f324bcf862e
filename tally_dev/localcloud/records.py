"""What Lambda hands a function for each event source, and what it sends to an on-failure destination.

Pure functions over what moto's APIs return (through boto3), so they can be checked against
Powertools' parser models without a running cloud:

- `stream_record`: a DynamoDB Streams `GetRecords` record as a Lambda event-source mapping delivers
  it (`eventVersion` 1.1, `eventSourceARN`, `ApproximateCreationDateTime` in epoch seconds);
- `sqs_record`: a `ReceiveMessage` message as the SQS mapping delivers it (camel-case keys,
  lower-case message attribute fields, `eventSourceARN`);
- `stream_failure_record`: the invocation record an exhausted or expired stream batch sends to the
  OnFailure destination (`DDBStreamBatchInfo` points at the records, it does not hold them);
- `async_failure_record`: the invocation record an asynchronous invocation that failed every attempt
  sends to the function's OnFailure destination (it holds the event, `requestPayload`);
- `eventbridge_scheduled_event` and `scheduler_input`: what a `Schedule` rule and a `ScheduleV2`
  schedule send.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tally_dev.template import ACCOUNT, REGION

#: The attributes the SQS mapping passes on (in this order), when the message has them.
_SQS_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
                   "SequenceNumber", "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader",
                   "DeadLetterQueueSourceArn")


def function_arn(function_name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"


def _epoch_seconds(value: Any) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(float(value))


def stream_record(raw: Mapping[str, Any], stream_arn: str, region: str = REGION) -> dict[str, Any]:
    """A DynamoDB stream record (as `GetRecords` returns it) as Lambda delivers it."""
    change = dict(raw["dynamodb"])
    if "ApproximateCreationDateTime" in change:
        change["ApproximateCreationDateTime"] = _epoch_seconds(change["ApproximateCreationDateTime"])
    record: dict[str, Any] = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": raw.get("awsRegion", region),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }
    if raw.get("userIdentity"):
        record["userIdentity"] = dict(raw["userIdentity"])
    return record


def sequence_number(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    def encoded(data: Any) -> str:
        return base64.b64encode(data).decode() if isinstance(data, bytes | bytearray) else str(data)

    attribute: dict[str, Any] = {}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = encoded(value["BinaryValue"])
    attribute["stringListValues"] = list(value.get("StringListValues", []))
    attribute["binaryListValues"] = [encoded(v) for v in value.get("BinaryListValues", [])]
    attribute["dataType"] = value["DataType"]
    return attribute


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str = REGION) -> dict[str, Any]:
    """An SQS message (as `ReceiveMessage` returns it with all attributes) as Lambda delivers it."""
    attributes = message.get("Attributes", {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {key: str(attributes[key]) for key in _SQS_ATTRIBUTES if key in attributes},
        "messageAttributes": {name: _message_attribute(value)
                              for name, value in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region})
    return record


def _iso_seconds(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_millis(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def async_failure_record(payload: Any, *, function_name: str, request_id: str, invoke_count: int,
                         error: Mapping[str, Any] | None, now: datetime | None = None) -> dict[str, Any]:
    """The invocation record Lambda sends to an asynchronous invocation's OnFailure destination once its
    retries are exhausted: the request's payload and the last attempt's error."""
    return {
        "version": "1.0",
        "timestamp": _iso_millis(now or datetime.now(UTC)),
        "requestContext": {"requestId": request_id, "functionArn": f"{function_arn(function_name)}:$LATEST",
                           "condition": "RetriesExhausted", "approximateInvokeCount": invoke_count},
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": dict(error or {}),
    }


def stream_failure_record(records: Sequence[Mapping[str, Any]], *, shard_id: str, stream_arn: str,
                          function_name: str, request_id: str, condition: str, invoke_count: int,
                          function_error: str | None, now: datetime | None = None) -> dict[str, Any]:
    """The invocation record Lambda sends to a stream mapping's OnFailure destination for discarded records.

    `condition` is `RetryAttemptsExhausted` or `RecordAgeExceeded`; `function_error` is
    `Unhandled` when the last attempt failed with an error, None when it reported item failures.
    """
    first, last = records[0], records[-1]

    def arrival(record: Mapping[str, Any]) -> str:
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        moment = datetime.fromtimestamp(_epoch_seconds(created), UTC) if created is not None else datetime.now(UTC)
        return _iso_seconds(moment)

    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error is not None:
        response["functionError"] = function_error
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn(function_name),
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso_millis(now or datetime.now(UTC)),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": sequence_number(first),
            "endSequenceNumber": sequence_number(last),
            "approximateArrivalOfFirstRecord": arrival(first),
            "approximateArrivalOfLastRecord": arrival(last),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def eventbridge_scheduled_event(rule_name: str, scheduled: datetime, *, event_id: str | None = None) -> dict[str, Any]:
    """What an EventBridge rule with a schedule (SAM `Schedule`, no Input) sends its target."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": _iso_seconds(scheduled),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule_name}"],
        "detail": {},
    }


def schedule_arn(schedule_name: str, group: str = "default") -> str:
    return f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/{schedule_name}"


def scheduler_input(text: str | None, *, schedule_name: str, scheduled: datetime, execution_id: str,
                    attempt: int = 1) -> Any:
    """What EventBridge Scheduler (SAM `ScheduleV2`) sends a Lambda target.

    With an Input, the Input with its context attributes (`<aws.scheduler.scheduled-time>` …)
    replaced. Without one, Scheduler's "default notification" for a Lambda target, which is an
    empty JSON object: a ScheduleV2 function that needs the time or an id must set an Input.
    """
    if text is None:
        return {}
    for placeholder, value in (("<aws.scheduler.schedule-arn>", schedule_arn(schedule_name)),
                               ("<aws.scheduler.scheduled-time>", _iso_seconds(scheduled)),
                               ("<aws.scheduler.execution-id>", execution_id),
                               ("<aws.scheduler.attempt-number>", str(attempt))):
        text = text.replace(placeholder, value)
    try:
        return json.loads(text)
    except ValueError:
        return text
