"""`tally_dev.moto_speedups` changes how fast moto answers, never what it answers: a differential test.

The same random DynamoDB operations (hypothesis) go to two moto servers, one as released and one
with the speedups (`moto_variant`). Every answer must be identical — items and their order, pages
and their keys, counts, errors and their messages, a cancelled transaction's reasons and the items
they carry — and so must the stored state after them: every table's items and item count, and
every stream record. The patched server counts the calls to each attribute the speedups module
replaced; at the end every one of them must have been reached, so a speedup the operations do not
exercise (one added later, say) fails here instead of going unproven.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tally_dev.template import ROOT

#: Table kinds: range key type (None: hash key only), and whether it has the index `by_g` (g, sk).
KINDS: dict[str, tuple[str | None, bool]] = {"str": ("S", True), "num": ("N", False), "one": (None, False)}
STREAMS = {"str": "NEW_AND_OLD_IMAGES", "num": "NEW_IMAGE", "one": "KEYS_ONLY"}
#: Not created: a transaction naming it is refused as a whole.
MISSING = "gone"


@dataclass
class Variant:
    """One moto server process and the clients that reach it."""

    process: subprocess.Popen[str]
    patched: list[str]
    dynamodb: Any
    streams: Any

    @classmethod
    def start(cls, variant: str) -> Variant:
        process = subprocess.Popen([sys.executable, "-m", "tests.integration.localcloud.moto_variant", variant],
                                   cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        hello = json.loads(process.stdout.readline())
        endpoint = f"http://127.0.0.1:{hello['port']}"
        config = Config(retries={"total_max_attempts": 1})  # an answer is compared once, never retried
        return cls(process, hello["patched"], boto3.client("dynamodb", endpoint_url=endpoint, config=config),
                   boto3.client("dynamodbstreams", endpoint_url=endpoint, config=config))

    def stop(self) -> dict[str, Any]:
        """Stop the server; what it reports on leaving (calls per speedup)."""
        out, _ = self.process.communicate(timeout=30)
        return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def variants() -> Iterator[tuple[Variant, Variant]]:
    stock, patched = Variant.start("stock"), Variant.start("patched")
    try:
        yield stock, patched
    finally:
        for variant in (stock, patched):
            if variant.process.poll() is None:
                variant.process.kill()
                variant.process.wait()


# ---- the operations -------------------------------------------------------------------------------

PKS = st.sampled_from(["a", "b", "c"])
RANGE_KEYS = {"S": st.sampled_from(["a", "a#1", "a#2", "ab", "b", "b#1", "z", "A", "é"]),
              "N": st.sampled_from(["-5", "0", "1", "1.5", "2", "10", "100"])}
ATTRIBUTES = st.fixed_dictionaries({}, optional={
    "n": st.sampled_from([{"N": "0"}, {"N": "1"}, {"N": "-3"}, {"N": "2.5"}]),
    "s": st.sampled_from([{"S": "x"}, {"S": "xy"}, {"S": "y"}]),
    "g": st.sampled_from([{"S": "g1"}, {"S": "g2"}]),
    "b": st.sampled_from([{"B": b"\x00\xff"}, {"B": b"tally"}]),
    "ss": st.just({"SS": ["p", "q"]}), "ns": st.just({"NS": ["1", "2.5"]}), "bs": st.just({"BS": [b"\x01", b"\x02"]}),
    "l": st.sampled_from([{"L": []}, {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x03"}, {"M": {"k": {"BOOL": True}}}]}]),
    "m": st.just({"M": {"deep": {"L": [{"NULL": True}, {"SS": ["a"]}]}, "n": {"N": "7"}}}),
    "t": st.booleans().map(lambda b: {"BOOL": b}), "nul": st.just({"NULL": True}),
})
#: Conditions: (expression, values, names).
CONDITIONS = st.sampled_from([
    None, ("attribute_not_exists(pk)", {}, {}), ("attribute_exists(pk)", {}, {}),
    ("n = :v", {":v": {"N": "1"}}, {}), ("n < :v", {":v": {"N": "2"}}, {}),
    ("begins_with(#s, :p)", {":p": {"S": "x"}}, {"#s": "s"}), ("size(l) > :z", {":z": {"N": "0"}}, {}),
    ("attribute_type(s, :t) OR attribute_not_exists(s)", {":t": {"S": "S"}}, {}),
    ("contains(ss, :e)", {":e": {"S": "p"}}, {}),
])
UPDATES = st.sampled_from([
    ("ADD n :one", {":one": {"N": "1"}}), ("SET s = :s", {":s": {"S": "xy"}}),
    ("SET n = n + :one", {":one": {"N": "1"}}),  # refused where n does not exist
    ("REMOVE s, g", {}), ("ADD ss :set", {":set": {"SS": ["q", "r"]}}), ("DELETE ss :set", {":set": {"SS": ["p"]}}),
    ("SET l = list_append(if_not_exists(l, :empty), :l)", {":empty": {"L": []}, ":l": {"L": [{"N": "9"}]}}),
    ("ADD s :one", {":one": {"N": "1"}}),  # refused where s is a string
    ("SET g = :g, m.n = :one", {":g": {"S": "g2"}, ":one": {"N": "1"}}),
    ("SET pk = :s", {":s": {"S": "moved"}}),  # a key attribute: refused
])
RETURN_VALUES = st.sampled_from(["NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])


def key_of(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    range_type = KINDS[kind][0]
    if range_type is None:
        return PKS.map(lambda pk: {"pk": {"S": pk}})
    return st.builds(lambda pk, sk: {"pk": {"S": pk}, "sk": {range_type: sk}}, PKS, RANGE_KEYS[range_type])


def conditional(params: dict[str, Any], condition: tuple[str, dict[str, Any], dict[str, Any]] | None,
                ) -> dict[str, Any]:
    if condition is not None:
        expression, values, names = condition
        params["ConditionExpression"] = expression
        params["ExpressionAttributeValues"] = {**params.get("ExpressionAttributeValues", {}), **values}
        if names:
            params["ExpressionAttributeNames"] = names
    return params


@st.composite
def put(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    item = {**draw(ATTRIBUTES), **draw(key_of(kind))}
    if draw(st.integers(0, 19)) == 0:
        item.pop("sk" if KINDS[kind][0] else "pk")  # without its key: refused
    return conditional({"TableName": kind, "Item": item}, draw(CONDITIONS))


@st.composite
def update(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    expression, values = draw(UPDATES)
    params = {"TableName": kind, "Key": draw(key_of(kind)), "UpdateExpression": expression}
    if values:
        params["ExpressionAttributeValues"] = values
    return conditional(params, draw(CONDITIONS))


@st.composite
def delete(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    return conditional({"TableName": kind, "Key": draw(key_of(kind))}, draw(CONDITIONS))


@st.composite
def condition_check(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    condition = draw(CONDITIONS.filter(lambda c: c is not None))
    return conditional({"TableName": kind, "Key": draw(key_of(kind))}, condition)


WRITES = {"Put": put, "Update": update, "Delete": delete, "ConditionCheck": condition_check}


@st.composite
def transaction(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    entries = []
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(sorted(WRITES)))
        kind = draw(st.sampled_from([*KINDS, *KINDS, MISSING] if op != "Put" else [*KINDS]))
        params = draw(WRITES[op](kind if kind != MISSING else "one"))
        params["TableName"] = kind
        if draw(st.booleans()) and "ConditionExpression" in params:
            params["ReturnValuesOnConditionCheckFailure"] = draw(st.sampled_from(["ALL_OLD", "NONE"]))
        entries.append({op: params})
    return "transact_write_items", {"TransactItems": entries}


@st.composite
def single_write(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    op = draw(st.sampled_from(["Put", "Update", "Delete"]))
    params = draw(WRITES[op](kind))
    if op == "Update":
        params["ReturnValues"] = draw(RETURN_VALUES)
    elif draw(st.booleans()):
        params["ReturnValues"] = "ALL_OLD"
    if draw(st.booleans()) and "ConditionExpression" in params:
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}[op], params


@st.composite
def query(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    range_type, indexed = KINDS[kind]
    values: dict[str, Any] = {":pk": {"S": draw(PKS)}}
    params: dict[str, Any] = {"TableName": kind, "ScanIndexForward": draw(st.booleans())}
    hash_name = "pk"
    if indexed and draw(st.booleans()):
        params["IndexName"], hash_name = "by_g", "g"
        values[":pk"] = {"S": draw(st.sampled_from(["g1", "g2"]))}
    condition = f"{hash_name} = :pk"
    comparison = draw(st.sampled_from(["", "=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"]))
    if range_type is not None and comparison:
        values[":a"], values[":b"] = ({range_type: draw(RANGE_KEYS[range_type])} for _ in range(2))
        condition += {"BETWEEN": " AND sk BETWEEN :a AND :b", "begins_with": " AND begins_with(sk, :a)"}.get(
            comparison, f" AND sk {comparison} :a")
        if comparison != "BETWEEN":
            values.pop(":b")
    params["KeyConditionExpression"] = condition
    filtering = draw(st.sampled_from([None, ("n >= :f", {":f": {"N": "0"}}), ("attribute_exists(s)", {}),
                                      ("begins_with(s, :f)", {":f": {"S": "x"}})]))
    if filtering is not None:
        params["FilterExpression"] = filtering[0]
        values.update(filtering[1])
    params["ExpressionAttributeValues"] = values
    if draw(st.booleans()):
        params["Limit"] = draw(st.integers(1, 4))
    choice = draw(st.sampled_from(["all", "count", "projection"]))
    if choice == "count":
        params["Select"] = "COUNT"
    elif choice == "projection":
        params["ProjectionExpression"] = "pk, sk, n, m.n, l[0]"
    return "query", params


@st.composite
def batch_write(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    requests: dict[str, list[dict[str, Any]]] = {}
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(sorted(KINDS)))
        request = {"PutRequest": {"Item": {**draw(ATTRIBUTES), **draw(key_of(kind))}}} if draw(st.booleans()) \
            else {"DeleteRequest": {"Key": draw(key_of(kind))}}
        requests.setdefault(kind, []).append(request)  # the same key twice: refused as a whole
    return "batch_write_item", {"RequestItems": requests}


@st.composite
def read(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    keys = draw(st.lists(key_of(kind), min_size=1, max_size=4))
    return draw(st.sampled_from([
        ("get_item", {"TableName": kind, "Key": keys[0], "ConsistentRead": draw(st.booleans()),
                      **({"ProjectionExpression": "pk, n, m.deep[1]"} if draw(st.booleans()) else {})}),
        ("scan", {"TableName": kind, **draw(st.sampled_from([{}, {"FilterExpression": "attribute_exists(n)"}]))}),
        ("batch_get_item", {"RequestItems": {kind: {"Keys": keys}}}),  # the same key twice: refused
        ("transact_get_items", {"TransactItems": [{"Get": {"TableName": kind, "Key": key}} for key in keys]}),
    ]))


OPERATIONS = st.lists(st.one_of(single_write(), transaction(), query(), read(), transaction(), batch_write()),
                      min_size=1, max_size=25)


# ---- running them both ways ------------------------------------------------------------------------

def create_tables(client: Any, names: dict[str, str]) -> None:
    for kind, (range_type, indexed) in KINDS.items():
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
        if range_type is not None:
            keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
            attributes.append({"AttributeName": "sk", "AttributeType": range_type})
        extra: dict[str, Any] = {}
        if indexed:
            attributes.append({"AttributeName": "g", "AttributeType": "S"})
            extra["GlobalSecondaryIndexes"] = [{
                "IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}]
        client.create_table(TableName=names[kind], KeySchema=keys, AttributeDefinitions=attributes,
                            BillingMode="PAY_PER_REQUEST", **extra,
                            StreamSpecification={"StreamEnabled": True, "StreamViewType": STREAMS[kind]})


def named(value: Any, names: dict[str, str]) -> Any:
    """The operation with each table kind replaced by this example's table name."""
    if isinstance(value, dict):
        return {k: names.get(v, v) if k == "TableName" else named(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [named(v, names) for v in value]
    return value


def answer(client: Any, operation: str, params: dict[str, Any]) -> Any:
    """What the server answers (every page of a query), errors included, request ids left out."""
    pages = []
    while True:
        try:
            page = getattr(client, operation)(**params)
        except ClientError as error:
            response = error.response
            return pages, {"error": response["Error"].get("Code"), "message": response["Error"].get("Message"),
                           "reasons": response.get("CancellationReasons")}
        except ParamValidationError as error:
            return pages, {"invalid": str(error)}
        page.pop("ResponseMetadata", None)
        if operation == "scan":  # DynamoDB leaves the order of a scan and a batch open: only the items count
            page["Items"] = sorted(page["Items"], key=repr)
        for table, items in page.get("Responses", {}).items() if operation == "batch_get_item" else ():
            page["Responses"][table] = sorted(items, key=repr)
        pages.append(page)
        if operation != "query" or "LastEvaluatedKey" not in page or len(pages) > 40:
            return pages, None
        params = {**params, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def stored(variant: Variant, names: dict[str, str]) -> dict[str, Any]:
    """Every table's items, item count and stream records (in order), without times and ids."""
    state: dict[str, Any] = {}
    for kind, name in names.items():
        items = variant.dynamodb.scan(TableName=name)["Items"]
        table = variant.dynamodb.describe_table(TableName=name)["Table"]
        records = []
        arn = table["LatestStreamArn"]
        for shard in variant.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = variant.streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            page = variant.streams.get_records(ShardIterator=iterator, Limit=1000)
            records += [(r["eventName"], {k: v for k, v in r["dynamodb"].items()
                                          if k in ("Keys", "NewImage", "OldImage", "StreamViewType")})
                        for r in page["Records"]]
        state[kind] = {"items": sorted(items, key=repr), "count": table["ItemCount"], "stream": records}
    return state


def test_patched_moto_answers_and_stores_exactly_what_stock_moto_does(variants):
    stock, patched = variants
    assert stock.patched == [] and patched.patched, "the speedups are installed in one server and not the other"

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(operations=OPERATIONS)
    def same_answers_and_state(operations):
        names = {kind: f"{kind}-{uuid.uuid4().hex[:8]}" for kind in KINDS}
        for variant in variants:
            create_tables(variant.dynamodb, names)
        try:
            for step, (operation, params) in enumerate(operations):
                request = named(params, names)
                expected = answer(stock.dynamodb, operation, request)
                assert answer(patched.dynamodb, operation, request) == expected, (step, operation, request)
            assert stored(patched, names) == stored(stock, names)
        finally:
            for variant in variants:
                for name in names.values():
                    variant.dynamodb.delete_table(TableName=name)

    same_answers_and_state()
    reports = stock.stop(), patched.stop()
    assert reports[0]["patched"] == [], "stock moto stayed unpatched after every request"
    unreached = [name for name, calls in reports[1]["calls"].items() if calls == 0]
    assert not unreached, f"speedups the differential operations never reached (extend them): {unreached}"
