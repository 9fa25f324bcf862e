"""Tally's own template.yaml: the raw-event stream reaches the aggregator, and discarded batches its DLQ; an
access-log batch the usage recorder keeps failing reaches the recorder's DLQ whole."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    CloudWatchLogsModel,
    DynamoDBStreamLambdaOnFailureDestinationModel,
    DynamoDBStreamModel,
)

from tally.web.aggregate.redrive import FailedBatch
from tally_dev.localcloud import LocalCloud
from tally_dev.localcloud.faults import stream_key
from tally_dev.template import ROOT

SAMPLE = json.loads((ROOT / "events" / "aggregator.json").read_text())["Records"][0]["dynamodb"]["NewImage"]


@pytest.fixture(scope="module")
def tally(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    log = (tmp_path_factory.mktemp("tally-cloud") / "cloud.log").open("w")
    with log, LocalCloud(port=0, http=False, log=log, accelerate=100) as cloud:
        yield cloud


def raw_event() -> dict:
    """The sample raw event of events/aggregator.json under a key of its own."""
    item = dict(SAMPLE)
    item["sk"] = {"S": f"{SAMPLE['sk']['S'].split('#')[0]}#evt-{uuid.uuid4().hex[:8]}"}
    return item


def aggregator_deliveries(cloud: LocalCloud, sk: str) -> list:
    return [d for d in cloud.delivery.deliveries("AggregatorFunction", "stream")
            if any(r["dynamodb"]["Keys"]["sk"]["S"] == sk for r in d.records)]


def test_raw_events_reach_the_aggregator_as_stream_records(tally):
    item = raw_event()

    tally.dynamodb.put_item(TableName=tally.tables["EventsTable"], Item=item)
    tally.delivery.settle()

    [delivered] = aggregator_deliveries(tally, item["sk"]["S"])
    [record] = DynamoDBStreamModel.model_validate(delivered.event).Records
    assert record.eventSourceARN == tally.provisioned.streams["EventsTable"]
    assert record.eventName == "INSERT"
    assert record.dynamodb.StreamViewType == "NEW_IMAGE"
    assert record.dynamodb.NewImage["sk"] == item["sk"]["S"]
    assert delivered.answer.ok, delivered.invocation.error


def test_the_retry_job_gets_the_real_dlq_url(tally):
    environment = tally.runner.pools["AggregationRetryFunction"].config.environment

    assert environment["AGGREGATION_DLQ_URL"] == tally.queues["AggregationDlq"]


def test_a_batch_the_aggregator_keeps_failing_lands_in_the_aggregation_dlq_as_the_retry_job_reads_it(tally):
    item = raw_event()
    tally.delivery.inject(function="AggregatorFunction", fail_on=stream_key(sk=item["sk"]["S"]))
    try:
        tally.dynamodb.put_item(TableName=tally.tables["EventsTable"], Item=item)
        tally.delivery.settle()
    finally:
        tally.delivery.clear_faults()

    assert len(aggregator_deliveries(tally, item["sk"]["S"])) == 1 + 4  # MaximumRetryAttempts: 4
    messages = tally.client("sqs").receive_message(QueueUrl=tally.queues["AggregationDlq"],
                                                   MaxNumberOfMessages=10)["Messages"]
    sequence = aggregator_deliveries(tally, item["sk"]["S"])[0].ids[0]
    [body] = [m["Body"] for m in messages if json.loads(m["Body"])["DDBStreamBatchInfo"]["startSequenceNumber"]
              == sequence]
    DynamoDBStreamLambdaOnFailureDestinationModel.model_validate_json(body)
    failed = FailedBatch.from_message(body)
    assert (failed.stream_arn, failed.first_sequence, failed.last_sequence, failed.size) == (
        tally.provisioned.streams["EventsTable"], sequence, sequence, 1)


def access_log_line(user: str) -> str:
    return json.dumps({"requestId": uuid.uuid4().hex[:16], "time": str(int(time.time() * 1000)),
                       "routeKey": "GET /api/v1/sites", "status": "200", "latency": "9", "integrationError": "-",
                       "authenticated": "true", "user": user, "org": "demo", "session": f"sid-{user}", "key": "-",
                       "client": "-", "country": "-"})


def log_lines(awslogs_event: dict) -> list[str]:
    return [e.message for e in CloudWatchLogsModel.model_validate(awslogs_event).awslogs.decoded_data.logEvents]


def test_an_access_log_batch_the_recorder_keeps_failing_reaches_its_dlq_whole_and_replays_once(tally):
    user = f"dlq-{uuid.uuid4().hex[:8]}"
    tally.delivery.inject(function="UsageRecorderFunction", fail_on=lambda record: user in str(record.get("message")))
    try:
        tally.delivery.log_groups["HttpApiAccessLogs"].append(access_log_line(user))
        tally.delivery.settle()
    finally:
        tally.delivery.clear_faults()

    attempts = [d for d in tally.delivery.deliveries("UsageRecorderFunction", "logs")
                if user in str(log_lines(d.event))]
    assert len(attempts) == 1 + 2  # EventInvokeConfig.MaximumRetryAttempts
    messages = tally.client("sqs").receive_message(QueueUrl=tally.queues["UsageRecorderDlq"],
                                                   MaxNumberOfMessages=10)["Messages"]
    records = [json.loads(m["Body"]) for m in messages]
    [record] = [r for r in records if user in str(log_lines(r["requestPayload"]))]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"]["errorType"] == "InjectedFunctionError"

    # the record holds the batch: invoking the recorder with it records the request, and once only
    assert tally.invoke("UsageRecorderFunction", record["requestPayload"]).result() == {"recorded": 1,
                                                                                         "duplicates": 0}
    assert tally.invoke("UsageRecorderFunction", record["requestPayload"]).result() == {"recorded": 0,
                                                                                         "duplicates": 1}
