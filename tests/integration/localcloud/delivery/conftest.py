"""A small template with a stream consumer, a queue consumer and schedules, run in LocalClouds.

The consumer behaves as each record asks (attribute `mode` of a stream item, or the message body):
`ok`; `raise` (a function error, every time); `partial` (reported in `batchItemFailures` every
time); `partial-once` (reported the first time it is seen). For each record it adds 1 to
`writes` of the record's item in OutTable (one AWS call per record, so a crash can land between
two), and each invocation appends a line to `<LOG_DIR>/<function>.jsonl`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tally_dev.localcloud import LocalCloud

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Handler: app.handler
    Timeout: 10
    Environment:
      Variables:
        LOG_DIR: "{log_dir}"
        OUT_TABLE: !Ref OutTable
Resources:
  StreamConsumerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: consumer/
      Environment:
        Variables:
          CHANGES_STREAM: !GetAtt ItemsTable.StreamArn
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt ItemsTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 8
            MaximumBatchingWindowInSeconds: 1
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: 4
            FunctionResponseTypes: [ReportBatchItemFailures]
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !GetAtt ChangesDlq.Arn
  QueueConsumerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: consumer/
      Environment:
        Variables:
          INBOX_URL: !Ref Inbox
      Events:
        Inbox:
          Type: SQS
          Properties:
            Queue: !GetAtt Inbox.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: consumer/
      Events:
        EveryMinute:
          Type: Schedule
          Properties:
            Schedule: rate(1 minute)
        EachMinute:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(* * * * ? *)
            Input: !Sub >-
              {{"version":"0","id":"<aws.scheduler.execution-id>","detail-type":"Scheduled Event",
              "source":"aws.scheduler","account":"${{AWS::AccountId}}","time":"<aws.scheduler.scheduled-time>",
              "region":"${{AWS::Region}}","resources":["<aws.scheduler.schedule-arn>"],"detail":{{}}}}
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 0 * * ? *)
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}, {{AttributeName: sk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}, {{AttributeName: sk, KeyType: RANGE}}]
      StreamSpecification:
        StreamViewType: NEW_IMAGE
  OutTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: pk, AttributeType: S}}, {{AttributeName: sk, AttributeType: S}}]
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}, {{AttributeName: sk, KeyType: RANGE}}]
  ChangesDlq:
    Type: AWS::SQS::Queue
  Inbox:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 2
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt InboxDlq.Arn
        maxReceiveCount: 2
  InboxDlq:
    Type: AWS::SQS::Queue
"""

CONSUMER = '''
import json
import os

import boto3

LOG_DIR = os.environ["LOG_DIR"]


def seen_before(key):
    marker = os.path.join(LOG_DIR, "seen-" + key.replace("/", "_"))
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        return False
    except FileExistsError:
        return True


def describe(record):
    if "dynamodb" in record:
        image = record["dynamodb"].get("NewImage", {})
        pk, sk = image["pk"]["S"], image["sk"]["S"]
        return pk, sk, image.get("mode", {}).get("S", "ok"), record["dynamodb"]["SequenceNumber"]
    pk, _, sk = record["body"].partition("/")
    sk, _, mode = sk.partition(":")
    return pk, sk, mode or "ok", record["messageId"]


def handler(event, context):
    function = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    records = event.get("Records") if isinstance(event, dict) else None
    with open(os.path.join(LOG_DIR, function + ".jsonl"), "a") as log:
        log.write(json.dumps({"request_id": context.aws_request_id, "pid": os.getpid(), "event": event}) + "\\n")
    if records is None:
        return {"tick": True}
    table = boto3.client("dynamodb")
    failures = []
    for record in records:
        pk, sk, mode, identifier = describe(record)
        if mode == "raise":
            raise RuntimeError(f"poison record {pk}/{sk}")
        if mode == "partial" or (mode == "partial-once" and not seen_before(pk + "-" + sk)):
            failures.append({"itemIdentifier": identifier})
            continue
        table.update_item(TableName=os.environ["OUT_TABLE"], Key={"pk": {"S": pk}, "sk": {"S": sk}},
                          UpdateExpression="ADD writes :one", ExpressionAttributeValues={":one": {"N": "1"}})
    return {"batchItemFailures": failures}
'''

#: Fast enough that a 1 s batching window is 10 ms and retry backoffs are a few ms; schedules stay off.
ACCELERATE = 100
BOUND_S = 30.0


def build_app(root: Path) -> Path:
    logs = root / "logs"
    logs.mkdir()
    (root / "consumer").mkdir()
    (root / "consumer" / "app.py").write_text(CONSUMER)
    (root / "template.yaml").write_text(TEMPLATE.format(log_dir=logs))
    return root


@pytest.fixture(scope="package")
def delivery_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_app(tmp_path_factory.mktemp("delivery-app"))


def start_cloud(app: Path, **options: Any) -> LocalCloud:
    log = (app / f"cloud-{uuid.uuid4().hex[:6]}.log").open("w")
    cloud = LocalCloud(port=0, http=False, template_path=app / "template.yaml", log=log, **options)
    try:
        return cloud.start()
    except BaseException:
        log.close()
        raise


@pytest.fixture(scope="package")
def cloud(delivery_app: Path) -> Iterator[LocalCloud]:
    cloud = start_cloud(delivery_app, accelerate=ACCELERATE)
    try:
        yield cloud
    finally:
        cloud.stop()


def eventually(check: Callable[[], Any], bound_s: float = BOUND_S, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy, at most `bound_s`."""
    deadline = time.monotonic() + bound_s
    pause = threading.Event()
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {bound_s:.0f} s")
        pause.wait(0.02)


def put_items(cloud: LocalCloud, pk: str, modes: dict[str, str]) -> None:
    for sk, mode in modes.items():
        cloud.dynamodb.put_item(TableName=cloud.tables["ItemsTable"],
                                Item={"pk": {"S": pk}, "sk": {"S": sk}, "mode": {"S": mode}})


def keys_of(records: list[dict]) -> list[str]:
    return [r["dynamodb"]["Keys"]["sk"]["S"] for r in records]


def deliveries_of(cloud: LocalCloud, pk: str) -> list[Any]:
    """The stream deliveries holding records of partition `pk`, in order."""
    assert cloud.delivery is not None
    return [d for d in cloud.delivery.deliveries("StreamConsumerFunction", "stream")
            if any(r["dynamodb"]["Keys"]["pk"]["S"] == pk for r in d.records)]


def writes(cloud: LocalCloud, pk: str) -> dict[str, int]:
    items = cloud.dynamodb.query(TableName=cloud.tables["OutTable"], KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": {"S": pk}})["Items"]
    return {item["sk"]["S"]: int(item["writes"]["N"]) for item in items}


def function_log(app: Path, function: str) -> list[dict]:
    path = app / "logs" / f"tally-local-{function}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def new_pk() -> str:
    return f"p-{uuid.uuid4().hex[:10]}"
