"""moto answers as DynamoDB does: Query by partition with ranges, pages, order and filters;
transactions all-or-nothing with their reasons. It runs with `tally_dev.moto_speedups` (installed
by tests/conftest.py) and, in make test's `--stock-moto` session, without them: these hold both
ways, and each session runs the moto it says it does.
(test_moto_speedups_differential.py shows the two answer and store alike for any operations.)"""

from __future__ import annotations

import random

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import stock_moto
from tests.integration.localcloud.moto_variant import patched_attributes


def test_the_session_runs_moto_with_the_speedups_unless_it_runs_stock_moto():
    import moto.dynamodb.models  # noqa: F401  (what the speedups patch, loaded)

    patched = patched_attributes()
    assert (patched == {}) is stock_moto(), sorted(patched)


def put_many(client, table: str, rng: random.Random) -> dict[str, list[str]]:
    partitions: dict[str, list[str]] = {}
    for i in range(300):
        pk, sk = f"p{rng.randrange(4)}", f"{rng.randrange(10_000):05d}#{i}"
        client.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(i % 7)}})
        partitions.setdefault(pk, []).append(sk)
    return {pk: sorted(sks) for pk, sks in partitions.items()}


def test_query_reads_one_partition_with_ranges_pages_order_and_filters(aws):
    client = boto3.client("dynamodb")
    table = aws["RollupsTable"]
    partitions = put_many(client, table, random.Random(5))
    for pk, sks in partitions.items():
        wanted = [s for s in sks if "02000" <= s <= "07000"]
        for forward in (True, False):
            got, start = [], None
            while True:
                page = client.query(TableName=table, Limit=7, ScanIndexForward=forward,
                                    KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                                    ExpressionAttributeValues={":pk": {"S": pk}, ":a": {"S": "02000"},
                                                               ":b": {"S": "07000"}},
                                    **({"ExclusiveStartKey": start} if start else {}))
                got += [i["sk"]["S"] for i in page["Items"]]
                start = page.get("LastEvaluatedKey")
                if not start:
                    break
            assert got == (wanted if forward else wanted[::-1])
        filtered = client.query(TableName=table, KeyConditionExpression="pk = :pk", FilterExpression="n = :n",
                                ExpressionAttributeValues={":pk": {"S": pk}, ":n": {"N": "3"}})
        assert filtered["Count"] == sum(1 for s in sks if int(s.split("#")[1]) % 7 == 3)
    assert client.query(TableName=table, KeyConditionExpression="pk = :pk",
                        ExpressionAttributeValues={":pk": {"S": "nobody"}})["Items"] == []


def test_a_transaction_is_all_or_nothing_with_dynamodbs_reasons_and_no_stream_record_when_cancelled(aws):
    client = boto3.client("dynamodb")
    table = aws["RollupsTable"]
    client.put_item(TableName=table, Item={"pk": {"S": "t"}, "sk": {"S": "taken"}, "v": {"N": "1"}})
    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "t"}, "sk": {"S": "new"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "t"}, "sk": {"S": "taken"}, "v": {"N": "2"}},
                     "ConditionExpression": "attribute_not_exists(pk)",
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ])
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = cancelled.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["v"] == {"N": "1"}
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": "t"}, "sk": {"S": "new"}})

    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "t"}, "sk": {"S": "new"}}}},
        {"Update": {"TableName": table, "Key": {"pk": {"S": "t"}, "sk": {"S": "taken"}},
                    "UpdateExpression": "ADD v :one", "ConditionExpression": "v = :v",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":v": {"N": "1"}}}},
    ])
    assert client.get_item(TableName=table, Key={"pk": {"S": "t"}, "sk": {"S": "taken"}})["Item"]["v"] == {"N": "2"}
    assert "Item" in client.get_item(TableName=table, Key={"pk": {"S": "t"}, "sk": {"S": "new"}})

    with pytest.raises(ClientError) as twice:  # two operations on one item: refused, as by DynamoDB
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "t"}, "sk": {"S": "x"}}}},
            {"Delete": {"TableName": table, "Key": {"pk": {"S": "t"}, "sk": {"S": "x"}}}},
        ])
    assert twice.value.response["Error"]["Code"] == "ValidationException"


def test_a_cancelled_transaction_leaves_no_stream_record(aws):
    client = boto3.client("dynamodb")
    table = aws["EventsTable"]
    streams = boto3.client("dynamodbstreams")
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    client.put_item(TableName=table, Item={"pk": {"S": "e"}, "sk": {"S": "claim"}})
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "e"}, "sk": {"S": "event"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "e"}, "sk": {"S": "claim"}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in records] == ["claim"]


def test_items_of_every_attribute_type_come_back_as_they_were_written(aws):
    client = boto3.client("dynamodb")
    table = aws["RollupsTable"]
    item = {"pk": {"S": "types"}, "sk": {"S": "all"}, "b": {"B": bytes(range(256))}, "bs": {"BS": [b"\x00", b"\xff"]},
            "n": {"N": "-12.5"}, "ns": {"NS": ["1", "2"]}, "ss": {"SS": ["a", "b"]}, "t": {"BOOL": True},
            "nul": {"NULL": True}, "l": {"L": [{"S": "x"}, {"B": b"\x01\x02"}, {"M": {"k": {"N": "3"}}}]},
            "m": {"M": {"deep": {"L": [{"BOOL": False}]}}}}
    client.put_item(TableName=table, Item=item)
    got = client.get_item(TableName=table, Key={"pk": {"S": "types"}, "sk": {"S": "all"}})["Item"]
    queried = client.query(TableName=table, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": "types"}})["Items"][0]
    for answer in (got, queried):
        assert {k: v for k, v in answer.items() if k not in ("bs", "ns", "ss")} == \
            {k: v for k, v in item.items() if k not in ("bs", "ns", "ss")}
        assert sorted(answer["bs"]["BS"]) == sorted(item["bs"]["BS"])
        assert sorted(answer["ns"]["NS"]) == ["1", "2"] and sorted(answer["ss"]["SS"]) == ["a", "b"]
