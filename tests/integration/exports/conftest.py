"""Exports through their handlers and the export job, against the template's tables, bucket and queue in moto."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.apigw import FakeContext, caller_claims, http_event
from tests.integration.handlers import load_handler_module


@dataclass
class Answer:
    status: int
    body: Any


def call(logical_id: str, method: str, path: str, route: str, *, claims: dict[str, Any],
         query: dict[str, str] | None = None, path_parameters: dict[str, str] | None = None,
         body: str | None = None, headers: dict[str, str] | None = None) -> Answer:
    event = http_event(method, path, route=route, query=query, claims=claims, path_parameters=path_parameters,
                       body=body, headers=headers)
    response = load_handler_module(logical_id).lambda_handler(event, FakeContext())
    text = response.get("body") or ""
    return Answer(response["statusCode"], json.loads(text) if text else None)


def user(org: str, name: str, role: str = "viewer") -> dict[str, Any]:
    return caller_claims(org, role, user_id=f"{org}-{name}")


def request_export(site_id: str, claims: dict[str, Any], **query: str) -> Answer:
    return call("ExportsFunction", "POST", f"/api/v1/sites/{site_id}/exports", "POST /api/v1/sites/{site_id}/exports",
                claims=claims, query=query, path_parameters={"site_id": site_id})


def read_export(export_id: str, claims: dict[str, Any]) -> Answer:
    return call("ExportsFunction", "GET", f"/api/v1/exports/{export_id}", "GET /api/v1/exports/{export_id}",
                claims=claims, path_parameters={"export_id": export_id})


def my_exports(claims: dict[str, Any], **query: str) -> Answer:
    return call("ExportsFunction", "GET", "/api/v1/me/stats/exports", "GET /api/v1/me/stats/exports",
                claims=claims, query=query)


def stats(site_id: str, what: str, claims: dict[str, Any], **query: str) -> Answer:
    return call("StatsFunction", "GET", f"/api/v1/sites/{site_id}/stats/{what}",
                f"GET /api/v1/sites/{{site_id}}/stats/{what}", claims=claims, query=query,
                path_parameters={"site_id": site_id})


def import_lines(site_id: str, rows: list[dict[str, Any]], claims: dict[str, Any]) -> Answer:
    return call("EventImportFunction", "POST", f"/api/v1/sites/{site_id}/events/import",
                "POST /api/v1/sites/{site_id}/events/import", claims=claims,
                body="\n".join(json.dumps(r) for r in rows), headers={"content-type": "application/x-ndjson"})


@dataclass
class ExportCloud:
    bucket: str
    queue_url: str

    def messages(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        found: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            found += batch
        return found

    def run_job(self, context: Any = None) -> int:
        """Deliver the queue's messages to the export job until it is empty (continuations included)."""
        runs = 0
        while messages := self.messages():
            for message in messages:
                record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                          "body": message["Body"], "attributes": {"ApproximateReceiveCount": "1"},
                          "messageAttributes": {}, "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:exports", "awsRegion": "us-east-1"}
                answer = load_handler_module("ExportJobFunction").lambda_handler({"Records": [record]},
                                                                                 context or FakeContext())
                assert answer == {"batchItemFailures": []}
                runs += 1
        return runs

    def keys(self, prefix: str = "") -> list[str]:
        listing = boto3.client("s3").list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(o["Key"] for o in listing.get("Contents", []))

    def archive(self, key: str) -> dict[str, list[dict[str, str]]]:
        body = boto3.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return {name: list(csv.DictReader(io.StringIO(archive.read(name).decode())))
                    for name in archive.namelist()}


@pytest.fixture
def export_cloud(aws, monkeypatch) -> ExportCloud:
    """The exports bucket and queue next to the template's tables; every function's settings point at them."""
    bucket = f"exports-{aws['ExportsTable'][:9].lower()}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    queue_url = boto3.client("sqs").create_queue(QueueName=f"exports-{aws['ExportsTable'][:9]}")["QueueUrl"]
    monkeypatch.setenv("EXPORTS_BUCKET", bucket)
    monkeypatch.setenv("EXPORTS_QUEUE_URL", queue_url)
    from tests.conftest import _clear_settings_caches

    _clear_settings_caches()
    yield ExportCloud(bucket, queue_url)
    _clear_settings_caches()


@pytest.fixture
def make_site(export_cloud) -> Callable[..., Any]:
    from tally.sites.model import SiteCreate
    from tally.sites.service import create_site
    from tally.sites.wiring import site_store

    def make(domain: str, org: str = "demo", timezone: str = "UTC") -> Any:
        return create_site(site_store(), org, SiteCreate(domain=domain, timezone=timezone))
    return make
