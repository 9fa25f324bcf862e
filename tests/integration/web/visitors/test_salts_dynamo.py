"""Salts in the template's SaltsTable (moto): one salt per UTC day under retries and concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import boto3

from tally.web.visitors.dynamo import DynamoSaltTable
from tally.web.visitors.salts import SaltStore

MIDNIGHT = datetime(2026, 11, 25, tzinfo=UTC)


def stored_salts(table_name: str) -> dict[str, dict]:
    items = boto3.client("dynamodb").scan(TableName=table_name, ConsistentRead=True)["Items"]
    return {item["sk"]["S"]: item for item in items}


def test_rotating_twice_leaves_one_salt_for_the_day(aws):
    store = SaltStore(DynamoSaltTable(aws["SaltsTable"]))

    first = store.rotate(MIDNIGHT)
    key = stored_salts(aws["SaltsTable"])["2026-11-25"]["salt"]["B"]
    second = store.rotate(MIDNIGHT + timedelta(minutes=1))

    assert (first.created, second.created) == (True, False)
    salts = stored_salts(aws["SaltsTable"])
    assert list(salts) == ["2026-11-25"]
    assert salts["2026-11-25"]["salt"]["B"] == key
    assert len(key) == 32


def test_each_salt_carries_its_ttl_48_hours_after_its_day_began(aws):
    SaltStore(DynamoSaltTable(aws["SaltsTable"])).rotate(MIDNIGHT + timedelta(hours=3))

    item = stored_salts(aws["SaltsTable"])["2026-11-25"]

    assert int(item["expires_at"]["N"]) == int((MIDNIGHT + timedelta(hours=48)).timestamp())
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=aws["SaltsTable"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_salts_older_than_48_hours_are_deleted(aws):
    store = SaltStore(DynamoSaltTable(aws["SaltsTable"]))
    for day in range(10):
        store.rotate(MIDNIGHT + timedelta(days=day, minutes=1))

    assert sorted(stored_salts(aws["SaltsTable"])) == ["2026-12-03", "2026-12-04"]


def test_many_old_salts_left_by_failed_runs_are_all_deleted(aws):
    table = DynamoSaltTable(aws["SaltsTable"])
    for day in range(40):
        SaltStore(table).current_and_previous(MIDNIGHT - timedelta(days=day))  # on-demand salts, no rotation

    rotation = SaltStore(table).rotate(MIDNIGHT)

    assert len(rotation.deleted) == 38
    assert sorted(stored_salts(aws["SaltsTable"])) == ["2026-11-24", "2026-11-25"]


def test_ingest_creates_the_days_salt_when_the_rotation_did_not_run(aws):
    table = DynamoSaltTable(aws["SaltsTable"])

    pair = SaltStore(table).current_and_previous(MIDNIGHT + timedelta(hours=2))

    assert pair.previous is None
    assert stored_salts(aws["SaltsTable"])["2026-11-25"]["salt"]["B"] == pair.current.key
    assert SaltStore(table).rotate(MIDNIGHT + timedelta(hours=3)).created is False


def test_concurrent_rotations_and_first_ingests_store_exactly_one_salt(aws_server):
    """Threads stand for containers: each has its own store; moto's server serialises like DynamoDB."""
    table_name = aws_server["SaltsTable"]
    start = threading.Barrier(12)

    def container(n: int) -> bytes | None:
        store = SaltStore(DynamoSaltTable(table_name))
        start.wait()
        if n % 2:
            store.rotate(MIDNIGHT)
            return None
        return store.current_and_previous(MIDNIGHT + timedelta(seconds=n)).current.key

    with ThreadPoolExecutor(max_workers=12) as pool:
        keys = {key for key in pool.map(container, range(12)) if key is not None}

    salts = stored_salts(table_name)
    assert list(salts) == ["2026-11-25"]
    assert keys == {salts["2026-11-25"]["salt"]["B"]}


def test_concurrent_rotations_report_exactly_one_creation(aws_server):
    table_name = aws_server["SaltsTable"]
    start = threading.Barrier(8)

    def rotate(_: int) -> bool:
        store = SaltStore(DynamoSaltTable(table_name))
        start.wait()
        return store.rotate(MIDNIGHT).created

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(rotate, range(8)))

    assert created.count(True) == 1
    assert list(stored_salts(table_name)) == [date(2026, 11, 25).isoformat()]
