"""The exports stores and queue, built once per container on first use."""

from __future__ import annotations

import json
from functools import cache

from tally.exports.activity_wiring import export_activity
from tally.exports.model import Export
from tally.exports.settings import exports_settings
from tally.exports.store import DynamoExportStore, S3ExportFiles
from tally.platform.aws import sqs_client


@cache
def export_store() -> DynamoExportStore:
    return DynamoExportStore(exports_settings().exports_table)


@cache
def export_files() -> S3ExportFiles:
    return S3ExportFiles(exports_settings().exports_bucket)


__all__ = ["export_activity", "export_files", "export_store", "queue_export"]


def job_message(export: Export) -> str:
    return json.dumps({"org_id": export.org_id, "export_id": export.export_id})


def queue_export(export: Export, delay_s: int = 0) -> None:
    """Ask the export job to (continue to) build `export`."""
    sqs_client().send_message(QueueUrl=exports_settings().exports_queue_url, MessageBody=job_message(export),
                              DelaySeconds=delay_s)
