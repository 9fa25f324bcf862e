"""The template's queues and buckets created in moto, and its tables' stream ARNs.

`create_tables` (in `tally_dev.template`) makes the tables; this module adds what the event sources
and the functions' environments need beyond them: every `AWS::SQS::Queue` (attributes, FIFO,
redrive policies pointing at other queues of the template) and `AWS::S3::Bucket`, and the real
`LatestStreamArn` of each table with a stream. `Provisioned.names()` and `.attributes()` feed
`tally_dev.template.resolve`, so `!Ref Queue` is the queue's real URL and `!GetAtt Table.StreamArn`
the stream's real ARN inside every function.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tally_dev.template import physical_names, resources_of_type

#: CloudFormation's queue properties that are SQS attributes of the same name.
_QUEUE_ATTRIBUTES = ("ContentBasedDeduplication", "DeduplicationScope", "DelaySeconds", "FifoQueue",
                     "FifoThroughputLimit", "MaximumMessageSize", "MessageRetentionPeriod",
                     "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled", "VisibilityTimeout")


@dataclass(frozen=True)
class Queue:
    logical_id: str
    name: str
    url: str
    arn: str


@dataclass
class Provisioned:
    """What the local cloud created beyond the tables, by logical id."""

    queues: dict[str, Queue] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    streams: dict[str, str] = field(default_factory=dict)  # table logical id -> stream ARN

    def names(self) -> dict[str, str]:
        """What `Ref` resolves to for these resources (a queue's URL, a bucket's name)."""
        return {**{lid: q.url for lid, q in self.queues.items()}, **self.buckets}

    def attributes(self) -> dict[str, str]:
        """What `Fn::GetAtt` resolves to, keyed `LogicalId.Attribute`."""
        found = {f"{lid}.StreamArn": arn for lid, arn in self.streams.items()}
        for lid, queue in self.queues.items():
            found.update({f"{lid}.Arn": queue.arn, f"{lid}.QueueName": queue.name, f"{lid}.QueueUrl": queue.url})
        return found

    def queue_by_arn(self, arn: str) -> Queue | None:
        return next((q for q in self.queues.values() if q.arn == arn), None)


def _attribute_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _queue_name(lid: str, props: dict[str, Any], stack: str) -> str:
    name = props.get("QueueName")
    if isinstance(name, str):
        return name
    fifo = str(props.get("FifoQueue", False)).lower() == "true"
    return f"{stack}-{lid}" + (".fifo" if fifo else "")


def _arn_of(value: Any, queues: dict[str, Queue]) -> str:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        lid = target[0] if isinstance(target, list) else str(target).split(".", 1)[0]
        return queues[lid].arn
    return str(value)


def create_queues(sqs: Any, template: dict[str, Any], stack: str) -> dict[str, Queue]:
    """Every `AWS::SQS::Queue`: first all queues, then the redrive policies that point between them."""
    queues: dict[str, Queue] = {}
    definitions = resources_of_type(template, "AWS::SQS::Queue")
    for lid, resource in definitions.items():
        props = resource.get("Properties", {})
        name = _queue_name(lid, props, stack)
        attributes = {key: _attribute_value(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queues[lid] = Queue(lid, name, url, arn)
    for lid, resource in definitions.items():
        props = resource.get("Properties", {})
        policies = {}
        if "RedrivePolicy" in props:
            redrive = dict(props["RedrivePolicy"])
            redrive["deadLetterTargetArn"] = _arn_of(redrive["deadLetterTargetArn"], queues)
            policies["RedrivePolicy"] = json.dumps(redrive)
        if "RedriveAllowPolicy" in props:
            allow = props["RedriveAllowPolicy"]
            policies["RedriveAllowPolicy"] = allow if isinstance(allow, str) else json.dumps(allow)
        if policies:
            sqs.set_queue_attributes(QueueUrl=queues[lid].url, Attributes=policies)
    return queues


def create_buckets(s3: Any, template: dict[str, Any], stack: str) -> dict[str, str]:
    """Every `AWS::S3::Bucket`, named as `physical_names` names it unless the template does; versioning on request."""
    names = physical_names(template, stack)
    buckets = {}
    for lid, resource in resources_of_type(template, "AWS::S3::Bucket").items():
        props = resource.get("Properties", {})
        name = props["BucketName"] if isinstance(props.get("BucketName"), str) else names[lid]
        s3.create_bucket(Bucket=name)
        if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        buckets[lid] = name
    return buckets


def stream_arns(dynamodb: Any, tables: dict[str, str]) -> dict[str, str]:
    """The stream ARN of every table (logical id -> physical name) that has a stream."""
    arns = {}
    for lid, name in tables.items():
        arn = dynamodb.describe_table(TableName=name)["Table"].get("LatestStreamArn")
        if arn:
            arns[lid] = arn
    return arns


def provision(client: Callable[[str], Any], template: dict[str, Any], stack: str,
              tables: dict[str, str]) -> Provisioned:
    """Create the template's queues and buckets through `client(service)`; find the tables' streams."""
    provisioned = Provisioned()
    if resources_of_type(template, "AWS::SQS::Queue"):
        provisioned.queues = create_queues(client("sqs"), template, stack)
    if resources_of_type(template, "AWS::S3::Bucket"):
        provisioned.buckets = create_buckets(client("s3"), template, stack)
    provisioned.streams = stream_arns(client("dynamodb"), tables)
    return provisioned
