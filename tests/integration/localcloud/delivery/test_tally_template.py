"""Tally's own template.yaml: the raw-event stream reaches the aggregator, and discarded batches its DLQ."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.utilities.parser.models import (
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
