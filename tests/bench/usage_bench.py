"""The usage tab: its read units for a user with 100 and with 100,000 recorded requests (must be flat), and
what recording costs per request in write units (DynamoDB's sizing rules: 1 unit per KB, twice in a
transaction; an update is charged for the item's size after it)."""

from __future__ import annotations

import os
import random
import re
from datetime import UTC, datetime
from typing import Any

from tally.platform.caller import Caller, Role
from tally.platform.capacity import item_size
from tally.usage.reads import UsageReader
from tally.usage.recorder import UsageRecorder
from tally.usage.records import RequestRecord
from tally.usage.service import usage

DAY_MS = 86_400_000
TODAY = datetime(2026, 11, 30, tzinfo=UTC).date()
START_MS = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp() * 1000)
ROUTES = ["GET /api/v1/sites/{site_id}/stats/overview", "GET /api/v1/sites/{site_id}/stats/timeseries",
          "GET /api/v1/sites/{site_id}/stats/breakdown", "GET /api/v1/sites", "GET /api/v1/ops/failures",
          "POST /api/v1/sites/{site_id}/events/import"]
#: Lines per delivery, as CloudWatch Logs batches a busy log group.
BATCH = 1000


class MemoryTable:
    """The usage table in memory, applying the recorder's writes (its conditional puts and its `ADD`/`SET`
    updates) and adding up their write units: 100,000 requests recorded in seconds rather than minutes of
    moto. The rollups it ends with are loaded into moto and read there by the real reader. (Recording
    itself is proven against moto by tests/integration/usage.)"""

    class exceptions:
        class TransactionCanceledException(Exception):
            pass

        class ConditionalCheckFailedException(Exception):
            pass

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.write_units = 0.0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        (table, request), = RequestItems.items()
        found = [self.items[(k["pk"]["S"], k["sk"]["S"])] for k in request["Keys"]
                 if (k["pk"]["S"], k["sk"]["S"]) in self.items]
        return {"Responses": {table: found}}

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> None:
        for entry in TransactItems:
            if "Put" in entry:
                item = entry["Put"]["Item"]
                self.items[(item["pk"]["S"], item["sk"]["S"])] = dict(item)
            else:
                update = entry["Update"]
                key = (update["Key"]["pk"]["S"], update["Key"]["sk"]["S"])
                item = self.items.setdefault(key, dict(update["Key"]))
                _apply(item, update["UpdateExpression"], update.get("ExpressionAttributeNames", {}),
                       update["ExpressionAttributeValues"])
            self.write_units += 2 * max(1, -(-item_size(item) // 1024))


    def update_item(self, TableName: str, Key: dict[str, Any], UpdateExpression: str, ConditionExpression: str,
                    ExpressionAttributeValues: dict[str, Any]) -> None:
        """The recorder's one plain update: `first_seen` lowered when this chunk is earlier. DynamoDB charges
        a write whether or not the condition holds."""
        assert (UpdateExpression, ConditionExpression) == ("SET first_seen = :first", "first_seen > :first")
        item = self.items.get((Key["pk"]["S"], Key["sk"]["S"]), {})
        self.write_units += max(1, -(-item_size(item) // 1024))
        first = ExpressionAttributeValues[":first"]
        if "first_seen" not in item or not float(item["first_seen"]["N"]) > float(first["N"]):
            raise self.exceptions.ConditionalCheckFailedException
        item["first_seen"] = first


def _apply(item: dict[str, Any], expression: str, names: dict[str, str], values: dict[str, Any]) -> None:
    for action, clauses in re.findall(r"(ADD|SET) (.*?)(?= ADD | SET |$)", expression):
        for clause in re.split(r",\s*(?![^()]*\))", clauses):
            if action == "ADD":
                name, value = clause.split()
                name = names.get(name, name)
                total = float(item.get(name, {"N": "0"})["N"]) + float(values[value]["N"])
                item[name] = {"N": f"{total:g}"}
                continue
            name, _, value = (part.strip() for part in clause.partition("="))
            name = names.get(name, name)
            keep = re.match(r"if_not_exists\((\S+), (\S+)\)", value)
            if keep is None:
                item[name] = values[value]
            elif name not in item:
                item[name] = values[keep.group(2)]


def records(user: str, n: int, seed: int) -> list[RequestRecord]:
    rng = random.Random(seed)
    found = []
    for i in range(n):
        at = START_MS + rng.randrange(30 * DAY_MS)
        keyed = rng.random() < 0.3
        found.append(RequestRecord(request_id=f"{user}-{i}", at_ms=at, org_id="bench", user_id=user,
                                   route=rng.choice(ROUTES), status=rng.choice([200] * 9 + [404]), latency_ms=20,
                                   session_id=None if keyed else f"sid-{(at - START_MS) // DAY_MS}",
                                   key_id=rng.choice(["key-1", "key-2"]) if keyed else None,
                                   client="Firefox / GNU/Linux", country="DE"))
    return sorted(found, key=lambda r: r.at_ms)


def run() -> list[dict[str, Any]]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    from moto import mock_aws

    from tally_dev.template import create_tables, load_template

    figures: dict[int, dict[str, float]] = {}
    with mock_aws():
        import boto3

        client = boto3.client("dynamodb")
        table = create_tables(client, load_template(), "bench")["UsageTable"]
        for n in (100, 100_000):
            user = f"user-{n}"
            memory = MemoryTable()
            recorder = UsageRecorder(table, memory)
            lines = records(user, n, seed=n)
            for start in range(0, n, BATCH):
                recorder.record(lines[start:start + BATCH])
            rollups = [item for item in memory.items.values() if not item["pk"]["S"].endswith(("#R",))]
            for start in range(0, len(rollups), 25):
                client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item}}
                                                              for item in rollups[start:start + 25]]})
            reader = UsageReader(table, client)
            answer = usage(reader, Caller(user_id=user, org_id="bench", roles=frozenset({Role.viewer})), 30,
                           today=TODAY)
            assert answer.totals.requests == n, f"usage says {answer.totals.requests} requests, {n} recorded"
            assert sum(d.requests for d in answer.daily) == n
            figures[n] = {"read_units": reader.read_units, "write_units_per_request": memory.write_units / n}
    small, large = figures[100], figures[100_000]
    ratio = large["read_units"] / small["read_units"]
    return [
        {"name": "usage_tab_30d.read_units.100_requests", "value": small["read_units"], "unit": "RCU",
         "budget": "", "ok": None},
        {"name": "usage_tab_30d.read_units.100000_requests", "value": large["read_units"], "unit": "RCU",
         "budget": "", "ok": None},
        {"name": "usage_tab_30d.read_units.ratio_100000_vs_100", "value": round(ratio, 2), "unit": "x",
         "budget": "flat: the same 30 day items, 10 sessions and totals (≤ 1.25x: all routes each day)",
         "baseline": "100 requests, same run", "ok": ratio <= 1.25},
        {"name": "usage_recording.write_units_per_request.100_requests",
         "value": round(small["write_units_per_request"], 3), "unit": "WCU/request", "budget": "", "ok": None},
        {"name": "usage_recording.write_units_per_request.100000_requests",
         "value": round(large["write_units_per_request"], 3), "unit": "WCU/request",
         "budget": "row (2, in a transaction) + amortized rollups", "ok": None},
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure)
