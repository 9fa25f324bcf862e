"""Mining runs through the miner: steps on the queue, checkpoints in S3, the lease, a crash resumed,
a failure recorded once; the repository is a local one built with git (stage `local`)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tally.code.exports import codebase_key, org_key
from tally.code.queue import StepMessage
from tally.code.runs import CLAIM_SKEW_S, StepBusy, StepContext, run_step
from tally.code.wiring import code_store, export_store, mining_queue
from tally.ops.kinds import OpsKind
from tests.integration.code.conftest import register
from tests.integration.handlers import load_handler_module
from tests.integration.usage.test_audit import failures

RESERVE_S = 30


class StepContextOfLambda:
    """A Lambda context with just the reserve left."""

    function_name = "code-miner"
    memory_limit_in_mb = 3008
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:code-miner"
    aws_request_id = "req-miner"

    def get_remaining_time_in_millis(self) -> int:
        return RESERVE_S * 1000


def git(repo, *args: str, when: str = "2024-01-02T10:00:00Z") -> str:
    env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=Ann", "-c", "user.email=ann@example.com", *args],
                          check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for i in range(6):
        (path / f"f{i % 3}.py").write_text("".join(f"line {j}\n" for j in range(i + 2)))
        git(path, "add", ".")
        git(path, "commit", "-q", "-m", f"c{i}", when=f"2024-01-{i + 2:02d}T10:00:00Z")
    return path


@pytest.fixture
def local(code, monkeypatch):
    # One unit of work a step (the first unit of a step always runs), so a run goes through checkpoints.
    monkeypatch.setattr("tally.code.mining.deadline_rule", lambda deadline: lambda estimate: True)
    monkeypatch.setenv("TALLY_STAGE", "local")
    monkeypatch.setenv("RESERVE_SECONDS", str(RESERVE_S))
    monkeypatch.setenv("PUBLIC_STATS_TABLE", code.tables["PublicStatsTable"])
    from tests.conftest import _clear_settings_caches

    _clear_settings_caches()
    return code


def take(code) -> list[dict]:
    sqs = boto3.client("sqs")
    found = sqs.receive_message(QueueUrl=code.queue_url, MaxNumberOfMessages=10,
                                AttributeNames=["All"]).get("Messages", [])
    for message in found:
        sqs.delete_message(QueueUrl=code.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def deliver(message: dict) -> dict:
    record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
              "attributes": message.get("Attributes", {}), "messageAttributes": {}, "eventSource": "aws:sqs"}
    return load_handler_module("CodeMinerFunction").lambda_handler({"Records": [record]}, StepContextOfLambda())


def drain(code) -> int:
    steps = 0
    while messages := take(code):
        for message in messages:
            assert deliver(message) == {"batchItemFailures": []}
            steps += 1
    return steps


def document(org: str, codebase_id: str, name: str):
    return export_store().document(codebase_key(org, codebase_id, name))


def test_a_run_mines_in_steps_publishes_everything_and_counts_the_repository_once(local, repo):
    created = register(local, str(repo), name="tally")
    cid = created["codebase_id"]
    run = local.call("POST", f"/api/v1/codebases/{cid}/mine").body
    steps = drain(local)
    assert steps > 2  # one unit per step: the run went through several checkpoints
    status = document("demo", cid, "status")
    assert (status["state"], status["run_id"], status["error"]) == ("succeeded", run["run_id"], None)
    overview = document("demo", cid, "overview")
    assert overview["total_commits"] == int(git(repo, "rev-list", "--count", "HEAD")) == 6
    assert overview["head_sha"] == git(repo, "rev-parse", "HEAD")
    listed = export_store().document(org_key("demo", "codebases_list"))["codebases"]
    assert listed[cid]["total_commits"] == 6
    codebase = local.call("GET", f"/api/v1/codebases/{cid}").body
    assert (codebase["run"]["state"], codebase["mined_at"] is not None) == ("succeeded", True)
    from tally.totals.wiring import totals_writer

    assert totals_writer().read().repositories == 1
    local.call("POST", f"/api/v1/codebases/{cid}/mine")
    drain(local)
    assert totals_writer().read().repositories == 1  # a codebase counts once, however often it is mined


def context(local, now: datetime, *, queue=None, last: bool = False) -> StepContext:
    return StepContext(store=code_store(), exports=export_store(), queue=queue or mining_queue(), salt="s",
                       allow_local=True, lease_s=960, work_dir="/nonexistent", seconds_left=lambda: RESERVE_S,
                       reserve_s=RESERVE_S, fetch=lambda codebase, target: target, last_delivery=last,
                       now=lambda: now)


class CrashingQueue:
    """The continuation is never sent: the process dies between the checkpoint and the enqueue."""

    def send(self, message):
        raise SystemExit("killed between the checkpoint write and the continuation")


def test_a_crash_after_a_checkpoint_resumes_from_it_and_equals_an_uninterrupted_mine(local, repo):
    from tally.code.mining import mine_all
    from tally.code.mining.run import MineRequest

    cid = register(local, str(repo), name="tally")["codebase_id"]
    local.call("POST", f"/api/v1/codebases/{cid}/mine")
    [first] = take(local)
    message = StepMessage.parse(first["Body"])
    now = datetime.now(UTC)
    with pytest.raises(SystemExit):
        run_step(message, context(local, now, queue=CrashingQueue()))
    saved = document("demo", cid, "_run/checkpoint")
    assert saved["run_id"] == message.run_id and saved["step"] == 1
    # a copy of the step of unknown delivery, while the crashed copy might still run, is busy ...
    with pytest.raises(StepBusy) as busy:
        run_step(message, context(local, now + timedelta(seconds=5)))
    assert 0 < busy.value.retry_after_s <= RESERVE_S + CLAIM_SKEW_S
    # ... and taken as soon as the crashed invocation cannot be running any more (its time left plus
    # the clock skew), which is before the queue redelivers it; it resumes from the checkpoint
    assert run_step(message, context(local, now + timedelta(seconds=RESERVE_S + CLAIM_SKEW_S + 1))) == "continued"
    drain(local)
    mined = document("demo", cid, "overview")
    whole = mine_all(MineRequest(str(repo), cid, "tally")).exports["overview"]
    assert {k: v for k, v in mined.items() if k != "mined_at"} == {k: v for k, v in whole.items() if k != "mined_at"}
    assert document("demo", cid, "status")["state"] == "succeeded"


def test_a_message_of_another_run_is_dropped_and_two_runs_never_interleave(local, repo):
    cid = register(local, str(repo), name="tally")["codebase_id"]
    first = local.call("POST", f"/api/v1/codebases/{cid}/mine").body
    assert local.call("POST", f"/api/v1/codebases/{cid}/mine").body["run_id"] == first["run_id"]
    stale = StepMessage("demo", cid, "0" * 26, 1)
    assert run_step(stale, context(local, datetime.now(UTC))) == "dropped"
    drain(local)
    second = local.call("POST", f"/api/v1/codebases/{cid}/mine").body
    assert (second["started"], second["run_id"] != first["run_id"]) == (True, True)


def test_a_failing_run_fails_with_its_reason_records_one_export_failure_and_writes_no_export(local, repo):
    cid = register(local, str(repo), name="tally", default_branch="no-such-branch")["codebase_id"]
    before = failures(OpsKind.export, "demo")
    local.call("POST", f"/api/v1/codebases/{cid}/mine")
    drain(local)
    status = document("demo", cid, "status")
    assert status["state"] == "failed"
    assert "no-such-branch" in status["error"]
    assert document("demo", cid, "overview") is None
    assert failures(OpsKind.export, "demo") == before + 1
    assert local.call("GET", f"/api/v1/codebases/{cid}").body["run"]["state"] == "failed"
    assert json.dumps(local.call("GET", f"/api/v1/codebases/{cid}/analytics/status").body["state"]) == '"failed"'


def test_the_queue_redelivers_a_crashed_step_only_after_its_claim_has_lapsed():
    """The claim rule (tally.code.claims) lets a redelivery of the message holding the claim take over
    at once: sound only because SQS shows that message again after the visibility timeout, when the
    earlier invocation (at most the function's timeout, plus the skew) cannot be running any more."""
    from tally_dev.template import load_template

    resources = load_template()["Resources"]
    timeout = resources["CodeMinerFunction"]["Properties"]["Timeout"]
    visibility = resources["MiningQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility > timeout + CLAIM_SKEW_S


def receive(code) -> dict:
    """The next step message, received (in flight) but not deleted, as Lambda's poller holds it."""
    sqs = boto3.client("sqs")
    [message] = sqs.receive_message(QueueUrl=code.queue_url, MaxNumberOfMessages=1,
                                    AttributeNames=["All"])["Messages"]
    return message


def redelivered(message: dict, receive_count: int) -> dict:
    return {**message, "Attributes": {**message.get("Attributes", {}), "ApproximateReceiveCount": str(receive_count)}}


def queued(code) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=code.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


def test_the_redelivery_of_a_crashed_step_resumes_at_once_while_its_claim_still_holds(local, repo):
    from tally.code.claims import Delivery

    cid = register(local, str(repo), name="tally")["codebase_id"]
    local.call("POST", f"/api/v1/codebases/{cid}/mine")
    first = receive(local)
    message = StepMessage.parse(first["Body"])
    ctx = context(local, datetime.now(UTC), queue=CrashingQueue())
    ctx.delivery = Delivery(first["MessageId"], int(first["Attributes"]["ApproximateReceiveCount"]))
    with pytest.raises(SystemExit):
        run_step(message, ctx)
    # the queue's second delivery of that very message: its first invocation is over, no waiting
    assert deliver(redelivered(first, 2)) == {"batchItemFailures": []}
    [continuation] = take(local)
    assert StepMessage.parse(continuation["Body"]).step == 2
    assert deliver(continuation) == {"batchItemFailures": []}
    drain(local)
    assert document("demo", cid, "status")["state"] == "succeeded"


def test_a_step_another_live_copy_holds_is_reported_failed_and_held_back_until_the_claim_lapses(local, repo,
                                                                                                monkeypatch):
    from tally.code.queue import MiningQueue

    held: list[tuple[str, float]] = []
    hold = MiningQueue.hold
    monkeypatch.setattr(MiningQueue, "hold", lambda self, receipt, seconds: (held.append((receipt, seconds)),
                                                                             hold(self, receipt, seconds))[1])
    cid = register(local, str(repo), name="tally")["codebase_id"]
    local.call("POST", f"/api/v1/codebases/{cid}/mine")
    message = receive(local)
    with pytest.raises(SystemExit):  # another copy of step 1 claims it and is still "running"
        run_step(StepMessage.parse(message["Body"]), context(local, datetime.now(UTC), queue=CrashingQueue()))
    assert deliver(message) == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    [(receipt, seconds)] = held
    assert receipt == message["ReceiptHandle"]
    assert RESERVE_S < seconds <= RESERVE_S + CLAIM_SKEW_S  # until the live copy's claim lapses
    assert take(local) == [] and queued(local) == 1  # not deleted, not visible


def test_a_duplicated_delivery_of_a_done_step_is_dropped_and_enqueues_nothing(local, repo):
    cid = register(local, str(repo), name="tally")["codebase_id"]
    local.call("POST", f"/api/v1/codebases/{cid}/mine")
    message = receive(local)
    assert deliver(message) == {"batchItemFailures": []}
    assert deliver(message) == {"batchItemFailures": []}  # the same delivery again, as after a lost answer
    assert [m["step"] for m in local.messages()] == [2]  # one continuation, not two
