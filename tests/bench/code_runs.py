"""Code analytics runs: S3 requests per mining run (a full run, then an incremental re-mine of the same
state), on Tally's own checkout, through the miner's steps (`tally.code.runs`) against moto in-process:
the lease, checkpoints, status writes, the exports and the org files' conditional writes, counted by
the export store. A step has the Lambda budget (900 s less the reserve), so a run is usually one step."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: What a run may cost: status (queued, clone, phases, done), 4 exports, cache, 2 org files read+written.
S3_REQUESTS_BUDGET = 40


def one_run(store: Any, exports: Any, queue: Any, sqs: Any, org: str, codebase_id: str) -> int:
    from tally.code.queue import StepMessage
    from tally.code.runs import StepContext, run_step
    from tally.code.service import enqueue_run

    before = exports.requests
    enqueue_run(store, exports, queue, org, codebase_id, lease_s=960)
    ctx = StepContext(store=store, exports=exports, queue=queue, salt="bench", allow_local=True, lease_s=960,
                      work_dir="/nonexistent", seconds_left=lambda: 900.0, reserve_s=30,
                      fetch=lambda codebase, target: target)
    while messages := sqs.receive_message(QueueUrl=queue.queue_url, MaxNumberOfMessages=1).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=queue.queue_url, ReceiptHandle=message["ReceiptHandle"])
            outcome = run_step(StepMessage.parse(message["Body"]), ctx)
            assert outcome in ("continued", "succeeded"), outcome
    return int(exports.requests - before)


def run() -> list[dict[str, Any]]:
    import boto3
    from moto import mock_aws

    from tally.code.exports import ExportStore
    from tally.code.model import Codebase
    from tally.code.queue import MiningQueue
    from tally.code.store import DynamoCodeStore
    from tally.platform.aws import reset_clients
    from tally_dev.template import create_tables, load_template

    with mock_aws():
        reset_clients()
        names = create_tables(boto3.client("dynamodb"), load_template(), "bench")
        s3, sqs = boto3.client("s3"), boto3.client("sqs")
        s3.create_bucket(Bucket="bench-analytics")
        queue = MiningQueue(sqs, sqs.create_queue(QueueName="bench-mining")["QueueUrl"])
        store, exports = DynamoCodeStore(names["CodeTable"]), ExportStore("bench-analytics", s3, 64 * 1024 * 1024)
        codebase = Codebase(codebase_id=uuid.uuid4().hex[:26], org_id="bench", name="tally", url=str(ROOT),
                            created_at=datetime.now(UTC), admins=[])
        store.create(codebase)
        full = one_run(store, exports, queue, sqs, "bench", codebase.codebase_id)
        again = one_run(store, exports, queue, sqs, "bench", codebase.codebase_id)
        reset_clients()
    return [{"name": f"code_runs.tally.s3_requests_per_{kind}_run", "value": value, "unit": "S3 requests",
             "budget": f"<= {S3_REQUESTS_BUDGET}", "ok": value <= S3_REQUESTS_BUDGET,
             "baseline": "status, checkpoint, exports, cache and org-file writes counted by the export store"}
            for kind, value in (("full", full), ("incremental", again))]


if __name__ == "__main__":
    for figure in run():
        print(figure)
