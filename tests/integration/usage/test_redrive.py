"""UsageRetryFunction: dead-lettered access-log batches (Lambda's invocation records in UsageRecorderDlq)
are recorded again, once; one that fails again stays queued, its failure counted once in the ledger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tally.ops.kinds import PLATFORM_ORG, OpsKind
from tally.ops.wiring import failure_ledger
from tally.usage.recorder import UsageRecorder
from tests.apigw import FakeContext
from tests.integration.handlers import load_handler_module
from tests.integration.usage.usage_helpers import T0, awslogs, deliver, line


@pytest.fixture
def dlq(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from tally.usage.retry_settings import usage_retry_settings

    url = boto3.client("sqs").create_queue(QueueName="usage-recorder-dlq")["QueueUrl"]
    monkeypatch.setenv("USAGE_DLQ_URL", url)
    usage_retry_settings.cache_clear()
    yield url
    usage_retry_settings.cache_clear()


def dead_letter(url: str, batch: list[dict[str, str]]) -> None:
    """What Lambda sends to the OnFailure destination after the last retry."""
    record = {"version": "1.0", "timestamp": "2026-12-02T10:00:00.000Z",
              "requestContext": {"requestId": "r", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                                 "condition": "RetriesExhausted", "approximateInvokeCount": 3},
              "requestPayload": awslogs(batch),
              "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
              "responsePayload": {"errorType": "RuntimeError", "errorMessage": "usage table unavailable"}}
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(record))


def queued(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


def usage_failures() -> int:
    now = datetime.now(UTC)
    return failure_ledger().count(PLATFORM_ORG, now - timedelta(hours=1), now + timedelta(minutes=1)).by_kind[
        OpsKind.usage]


def redrive() -> dict[str, Any]:
    result: dict[str, Any] = load_handler_module("UsageRetryFunction").lambda_handler({}, FakeContext())
    return result


def test_a_dead_lettered_batch_is_recorded_once_and_leaves_the_queue(dlq):
    batch = [line(user="demo-dlq", at_ms=T0 + n) for n in range(3)]
    assert deliver(batch[:1]) == {"recorded": 1, "duplicates": 0}  # recorded before the batch failed
    dead_letter(dlq, batch)

    assert redrive() == {"redriven": 1, "failed": 0, "remaining": False}
    assert queued(dlq) == 0
    assert deliver(batch) == {"recorded": 0, "duplicates": 3}  # all three recorded, once


def test_a_batch_that_fails_again_stays_queued_and_is_one_failure_with_its_first(dlq, monkeypatch):
    def broken(self: UsageRecorder, records: Any) -> Any:
        raise RuntimeError("usage table unavailable")

    batch = [line(user="demo-dlq-again", at_ms=T0 + n) for n in range(2)]
    monkeypatch.setattr(UsageRecorder, "record", broken)
    before = usage_failures()
    with pytest.raises(RuntimeError):
        deliver(batch)  # the recorder's own attempt: counted once
    dead_letter(dlq, batch)

    assert redrive() == {"redriven": 0, "failed": 1, "remaining": False}
    assert queued(dlq) == 1
    assert usage_failures() == before + 1
