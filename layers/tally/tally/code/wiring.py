"""The code-analytics stores, built once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.code.exports import ExportStore
from tally.code.queue import MiningQueue
from tally.code.settings import code_settings
from tally.code.store import DynamoCodeStore
from tally.platform.aws import s3_client, sqs_client


@cache
def code_store() -> DynamoCodeStore:
    return DynamoCodeStore(code_settings().code_table)


@cache
def export_store() -> ExportStore:
    settings = code_settings()
    return ExportStore(settings.analytics_bucket, s3_client(), settings.max_export_bytes)


@cache
def mining_queue() -> MiningQueue:
    return MiningQueue(sqs_client(), code_settings().mining_queue_url)
