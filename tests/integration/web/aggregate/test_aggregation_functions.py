"""The aggregator, sealer and retry functions through their handlers, against the template's resources."""

from __future__ import annotations

import json

import boto3
import pytest

from tally.ops.kinds import OpsKind
from tally.ops.ledger import DynamoFailureLedger
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain, bucket_start
from tests.apigw import FakeContext
from tests.integration.handlers import load_handler_module
from tests.integration.web.aggregate.test_pipeline_exactly_once import BASE, TZ, read_stream, to_raw
from tests.unit.web.aggregate.oracle import OracleEvent


@pytest.fixture
def pipeline_env(aws, monkeypatch):
    from tally.web.aggregate.retry_settings import retry_settings
    from tally.web.aggregate.settings import aggregation_settings

    queue_url = boto3.client("sqs").create_queue(QueueName="aggregation-dlq")["QueueUrl"]
    monkeypatch.setenv("EVENTS_TABLE", aws["EventsTable"])
    monkeypatch.setenv("ROLLUPS_TABLE", aws["RollupsTable"])
    monkeypatch.setenv("AGGREGATION_DLQ_URL", queue_url)
    for cached in (aggregation_settings, retry_settings):
        cached.cache_clear()
    for logical_id in ("AggregatorFunction", "SealerFunction", "AggregationRetryFunction"):
        module = load_handler_module(logical_id)
        for name in ("aggregator", "sealer", "clients"):
            if hasattr(getattr(module, name, None), "cache_clear"):
                getattr(module, name).cache_clear()
    yield aws, queue_url
    for cached in (aggregation_settings, retry_settings):
        cached.cache_clear()


def events_for(site: str, n: int = 6) -> list[OracleEvent]:
    return [OracleEvent(f"{site}-{i}", f"u{i % 2}", BASE + i * 600_000, "pageview", "/", True, "Google")
            for i in range(n)]


def test_stream_batch_to_sealed_rollup_through_the_handlers(pipeline_env):
    aws, _ = pipeline_env
    raw = RawEventStore(aws["EventsTable"])
    events = events_for("s-handlers")
    for e in events:
        raw.put(to_raw("s-handlers", e), 4_000_000_000, tz=TZ)
    records = read_stream(aws["EventsTable"])
    result = load_handler_module("AggregatorFunction").lambda_handler({"Records": records}, FakeContext())
    assert result == {"batchItemFailures": []}
    hour = bucket_start(Grain.hour, BASE, TZ)
    assert DirtyMarks(aws["RollupsTable"]).get("s-handlers", Grain.hour, hour).version >= 1

    sealer = load_handler_module("SealerFunction")
    clock = BASE + 2 * 86_400_000
    sealer.sealer().now_ms = lambda: clock
    sealer.lambda_handler({"id": "run-1"}, FakeContext())
    totals = RollupStore(aws["RollupsTable"]).read_totals("s-handlers", Grain.hour, hour, hour + 3_600_000)
    assert totals[0].totals.pageviews == sum(1 for e in events if bucket_start(Grain.hour, e.ts_ms, TZ) == hour)


def test_a_batch_in_the_dead_letter_queue_is_redriven_once_and_counted_as_one_failure(pipeline_env):
    aws, queue_url = pipeline_env
    raw = RawEventStore(aws["EventsTable"])
    for e in events_for("s-dlq", 3):
        raw.put(to_raw("s-dlq", e), 4_000_000_000, tz=TZ)
    records = [r for r in read_stream(aws["EventsTable"]) if "s-dlq" in r["dynamodb"]["Keys"]["pk"]["S"]]
    arn = boto3.client("dynamodb").describe_table(TableName=aws["EventsTable"])["Table"]["LatestStreamArn"]
    message = {"requestContext": {"condition": "RetryAttemptsExhausted"},
               "DDBStreamBatchInfo": {"shardId": records[0]["eventID"] and _shard(arn),
                                      "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                                      "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                                      "batchSize": len(records), "streamArn": arn}}
    sqs = boto3.client("sqs")
    for _ in range(2):  # the destination may deliver the same failure twice
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
    retry = load_handler_module("AggregationRetryFunction")
    assert retry.lambda_handler({"id": "r1"}, FakeContext())["redriven"] == 2
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages") is None
    hour = bucket_start(Grain.hour, BASE, TZ)
    assert DirtyMarks(aws["RollupsTable"]).get("s-dlq", Grain.hour, hour) is not None
    tally = DynamoFailureLedger(aws["OpsTable"]).count("_platform", _dt(BASE - 10**9), _dt(BASE + 10**12))
    assert tally.by_kind[OpsKind.aggregation] <= 1  # recorded at today's time, once per failed batch


def _shard(arn: str) -> str:
    streams = boto3.client("dynamodbstreams")
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]


def _dt(ms: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC)
