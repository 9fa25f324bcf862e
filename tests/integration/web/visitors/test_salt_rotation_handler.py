"""SaltRotationFunction through its handler with the sample scheduled event, against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from tally.ops.kinds import OpsKind
from tally.ops.ledger import DynamoFailureLedger
from tally.web.visitors.dynamo import DynamoSaltTable
from tally.web.visitors.job import failure_id
from tally.web.visitors.salts import SaltStore
from tests.apigw import FakeContext
from tests.integration.handlers import load_handler_module

EVENT = json.loads((Path(__file__).resolve().parents[4] / "events" / "salt_rotation.json").read_text())


def salt_days(table_name: str) -> list[str]:
    items = boto3.client("dynamodb").scan(TableName=table_name, ConsistentRead=True)["Items"]
    return sorted(item["sk"]["S"] for item in items)


def test_the_scheduled_run_creates_todays_salt_and_deletes_old_ones(aws):
    today = datetime.now(UTC)
    store = SaltStore(DynamoSaltTable(aws["SaltsTable"]))
    for days_ago in (4, 3, 2, 1):
        store.current_and_previous(today - timedelta(days=days_ago))
    handler = load_handler_module("SaltRotationFunction")

    result = handler.lambda_handler(EVENT, FakeContext())

    yesterday = (today - timedelta(days=1)).date().isoformat()
    assert salt_days(aws["SaltsTable"]) == [yesterday, today.date().isoformat()]
    assert result["created"] is True and len(result["deleted"]) == 3
    assert handler.lambda_handler(EVENT, FakeContext())["created"] is False


def test_a_failing_run_is_recorded_once_for_its_scheduled_day_however_often_it_is_retried(aws, monkeypatch):
    monkeypatch.setenv("SALTS_TABLE", "no-such-table")
    from tests.conftest import _clear_settings_caches

    _clear_settings_caches()
    handler = load_handler_module("SaltRotationFunction")

    for _ in range(3):
        with pytest.raises(Exception, match=r"ResourceNotFound|not found"):
            handler.lambda_handler(EVENT, FakeContext())

    ledger = DynamoFailureLedger(table_name=aws["OpsTable"])
    scheduled = datetime.fromisoformat(EVENT["time"])
    tally = ledger.count("_platform", scheduled - timedelta(hours=1), scheduled + timedelta(hours=1))
    assert tally.by_kind[OpsKind.job] == 1
    items = boto3.client("dynamodb").scan(TableName=aws["OpsTable"])["Items"]
    assert any(failure_id(scheduled.date()) in json.dumps(item) for item in items)
