"""A small template with functions that crash, hang, exit or report their environment, in a LocalCloud."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tally_dev.localcloud import LocalCloud

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Handler: app.handler
    Timeout: 5
    MemorySize: 256
    Environment:
      Variables:
        GREETING: hello
        ITEMS_TABLE: !Ref ItemsTable
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: !GetAtt GateFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity:
              Headers: [Authorization]
  GateFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: gate/
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Timeout: 2
      Environment:
        Variables:
          ONLY_ECHO: "yes"
          LOCAL_CLOCK_FILE: ""
      Events:
        Echo:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: "/echo/{what}", Method: GET}
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: broken/
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
"""

GATE = '''
def handler(event, context):
    token = event["headers"].get("authorization")
    if token == "crash":
        raise RuntimeError("the gate broke")
    return {"isAuthorized": token != "deny", "context": {"who": token}}
'''

ECHO = '''
import json
import os
import sys
import threading

ENV = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_REGION", "TALLY_STAGE", "LOCAL_JWT_SECRET", "PYTHONPATH",
       "GREETING", "ONLY_ECHO", "ITEMS_TABLE", "POWERTOOLS_TRACE_DISABLED", "AWS_LAMBDA_FUNCTION_NAME",
       "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "TALLY_TEST_LEAK", "LOCAL_CLOCK_FILE"]


def handler(event, context):
    what = (event.get("pathParameters") or {}).get("what") or event.get("what")
    if what == "crash":
        raise RuntimeError("boom")
    if what == "hang":
        threading.Event().wait()
    if what == "exit":
        os._exit(3)
    if what == "meet":  # a FIFO opens only when both ends do: two invocations must run at once
        os.close(os.open(event["fifo"], os.O_RDONLY if event["side"] == "read" else os.O_WRONLY))
    if what == "table":
        import boto3
        table = boto3.client("dynamodb").describe_table(TableName=os.environ["ITEMS_TABLE"])["Table"]
        return {"table": table["TableName"]}
    body = {"pid": os.getpid(), "cwd": os.getcwd(), "env": {k: os.environ.get(k) for k in ENV},
            "path": sys.path, "remaining_ms": context.get_remaining_time_in_millis(),
            "request_id": context.aws_request_id, "function_name": context.function_name,
            "memory": context.memory_limit_in_mb, "authorizer": event.get("requestContext", {}).get("authorizer")}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
'''

BROKEN = "import no_such_module_anywhere\n\n\ndef handler(event, context):\n    return {}\n"


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("app")
    (root / "template.yaml").write_text(TEMPLATE)
    for folder, code in (("gate", GATE), ("echo", ECHO), ("broken", BROKEN)):
        (root / folder).mkdir()
        (root / folder / "app.py").write_text(code)
    return root


@pytest.fixture(scope="module")
def sample_cloud(sample_app: Path, monkeypatch_module: pytest.MonkeyPatch) -> Iterator[LocalCloud]:
    monkeypatch_module.setenv("TALLY_TEST_LEAK", "must not reach functions")
    with (sample_app / "cloud.log").open("w") as log, \
            LocalCloud(port=0, template_path=sample_app / "template.yaml", log=log) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch
