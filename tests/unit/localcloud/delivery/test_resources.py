"""The template's queues and buckets are created as CloudFormation would create them (moto in-process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tally_dev.localcloud.resources import provision
from tally_dev.template import create_tables

TEMPLATE: dict[str, Any] = {"Resources": {
    "Work": {"Type": "AWS::SQS::Queue", "Properties": {
        "VisibilityTimeout": 45, "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["WorkDlq", "Arn"]},
                                                   "maxReceiveCount": 3}}},
    "WorkDlq": {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600}},
    "Ordered": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True, "ContentBasedDeduplication": True}},
    "Named": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "exactly-this"}},
    "Exports": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}},
    "Events": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}}},
}}


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield lambda service: boto3.client(service, region_name="us-east-1")


def test_queues_buckets_and_streams_are_created_from_the_template(clients):
    tables = create_tables(clients("dynamodb"), TEMPLATE, "stack")

    made = provision(clients, TEMPLATE, "stack", tables)

    sqs = clients("sqs")
    work = sqs.get_queue_attributes(QueueUrl=made.queues["Work"].url, AttributeNames=["All"])["Attributes"]
    assert work["VisibilityTimeout"] == "45"
    assert json.loads(work["RedrivePolicy"]) == {"deadLetterTargetArn": made.queues["WorkDlq"].arn,
                                                 "maxReceiveCount": 3}
    assert made.queues["Ordered"].name == "stack-Ordered.fifo"
    ordered = sqs.get_queue_attributes(QueueUrl=made.queues["Ordered"].url, AttributeNames=["All"])["Attributes"]
    assert (ordered["FifoQueue"], ordered["ContentBasedDeduplication"]) == ("true", "true")
    assert made.queues["Named"].name == "exactly-this"
    assert clients("s3").get_bucket_versioning(Bucket=made.buckets["Exports"])["Status"] == "Enabled"
    assert made.streams["Events"] == clients("dynamodb").describe_table(TableName=tables["Events"])["Table"][
        "LatestStreamArn"]
    assert made.names()["Work"] == made.queues["Work"].url
    assert made.attributes()["Events.StreamArn"] == made.streams["Events"]
    assert made.queue_by_arn(made.queues["WorkDlq"].arn) == made.queues["WorkDlq"]
