"""Through the local cloud: the miner's worker is killed mid-run (before the handler, between the
checkpoint and the continuation, between the continuation and marking the step done, in the middle
of publishing the exports), the queue redelivers the step, and the run resumes at once and finishes
`succeeded` with exports equal to an uncrashed run's; a duplicated delivery of a step does nothing.

The miner gets a reserve as long as its timeout (one unit of work a step, so a small repository
runs through several checkpoints), and the cloud runs 200 times faster: the queue's 960 s
visibility timeout brings a crashed step back after about 5 s. The claim of the crashed step would
hold for 905 s: every run finishing within the bound shows that a redelivery did not wait for it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tally.code.exports import EXPORTS, codebase_key, org_key
from tally.code.orgfiles import CODEBASES_LIST, ORG_SUMMARY
from tally_dev.localcloud import LocalCloud
from tally_dev.localcloud.delivery import Delivered
from tally_dev.tokens import issue_token
from tests.e2e.code.repositories import build_repository

MINER = "CodeMinerFunction"
ACCELERATE = 200
RUN_BOUND_S = 150.0




def eventually(check: Callable[[], Any], what: str, bound_s: float = RUN_BOUND_S) -> Any:
    """Poll `check` until it returns something truthy, at most `bound_s`."""
    deadline = time.monotonic() + bound_s
    pause = threading.Event()
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {bound_s:.0f} s")
        pause.wait(0.1)
    return result


class Org:
    def __init__(self, cloud: LocalCloud, log_path: Path, repo: Path) -> None:
        self.cloud, self.log_path, self.repo = cloud, log_path, repo
        self.org_id = f"org-{uuid.uuid4().hex[:10]}"
        self.api = httpx.Client(base_url=cloud.url, timeout=30,
                                headers={"Authorization": f"Bearer {issue_token(self.org_id, 'org_admin')}"})
        self.s3 = cloud.client("s3")
        self.bucket = cloud.provisioned.buckets["AnalyticsBucket"]

    def register(self) -> str:
        created = self.api.post("/api/v1/codebases", json={"url": str(self.repo), "name": "acme/demo"})
        assert created.status_code == 201, created.text
        return str(created.json()["codebase_id"])

    def mine(self, codebase_id: str) -> str:
        started = self.api.post(f"/api/v1/codebases/{codebase_id}/mine")
        assert started.status_code == 202, started.text
        return str(started.json()["run_id"])

    def run_state(self, codebase_id: str) -> str | None:
        run = self.api.get(f"/api/v1/codebases/{codebase_id}").json().get("run") or {}
        return run.get("state")

    def finished(self, *codebase_ids: str) -> None:
        states = eventually(lambda: (s := {c: self.run_state(c) for c in codebase_ids})
                            and all(v in ("succeeded", "failed") for v in s.values()) and s, "every run finished")
        assert set(states.values()) == {"succeeded"}, states

    def raw(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def export(self, codebase_id: str, name: str) -> bytes:
        return self.raw(codebase_key(self.org_id, codebase_id, name))

    def org_file(self, name: str) -> dict[str, Any]:
        return dict(json.loads(self.raw(org_key(self.org_id, name))))

    def dead_letters(self) -> int:
        sqs = self.cloud.client("sqs")
        url = self.cloud.provisioned.queues["MiningDlq"].url
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def deliveries(self, codebase_id: str) -> list[Delivered]:
        return [d for d in self.cloud.delivery.deliveries(MINER, kind="queue")
                if any(codebase_id in r.get("body", "") for r in d.records)]

    def logged_outcomes(self, request_id: str) -> list[str]:
        outcomes = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if request_id in line and line.startswith("{"):
                entry = json.loads(line)
                if entry.get("function_request_id") == request_id and entry.get("message") == "mining step":
                    outcomes.append(str(entry.get("outcome")))
        return outcomes


def without_timings(document: bytes, codebase_id: str, baseline_id: str) -> bytes:
    """The export as written, its codebase id replaced by the baseline's and `mined_at` left out."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "mined_at"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    parsed = json.loads(document.decode().replace(codebase_id, baseline_id))
    return json.dumps(strip(parsed), separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def step_of(delivered: Delivered) -> int:
    return int(json.loads(delivered.records[0]["body"])["step"])


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    base = tmp_path_factory.mktemp("mining-crash")
    repo = base / "repo"
    build_repository(repo, commits=10)
    log_path = base / "cloud.log"
    with log_path.open("w") as log, LocalCloud(port=0, log=log, faults=True, accelerate=ACCELERATE,
                                               environment={MINER: {"RESERVE_SECONDS": "900"}}) as cloud:
        org = Org(cloud, log_path, repo)
        try:
            yield org
        finally:
            org.api.close()


@pytest.fixture(scope="module")
def baseline(org: Org) -> str:
    """An uncrashed, undisturbed run of the repository."""
    codebase_id = org.register()
    org.mine(codebase_id)
    org.finished(codebase_id)
    assert len(org.deliveries(codebase_id)) > 2  # one unit a step: the run went through checkpoints
    return codebase_id


def assert_same_exports(org: Org, codebase_id: str, baseline: str) -> None:
    for name in (*EXPORTS, "status"):
        ours = without_timings(org.export(codebase_id, name), codebase_id, baseline)
        theirs = without_timings(org.export(baseline, name), baseline, baseline)
        if name == "status":  # the run's own id and times differ; the outcome must not
            ours_doc, theirs_doc = json.loads(ours), json.loads(theirs)
            for field in ("run_id", "started_at", "finished_at", "phase_seconds"):
                ours_doc.pop(field), theirs_doc.pop(field)
            assert ours_doc == theirs_doc, name
        else:
            assert ours == theirs, (codebase_id, name)


def test_a_run_killed_at_any_point_resumes_at_once_and_equals_an_uncrashed_run(org: Org, baseline: str):
    crashed = {point: org.register() for point in ("before handler", "checkpoint, continuation", "continuation, done",
                                                   "mid-export")}

    def of(codebase_id: str, step: int | None = None) -> Callable[[Any], bool]:
        def match(record: Any) -> bool:
            message = json.loads(record.get("body", "{}"))
            return bool(message.get("codebase_id") == codebase_id and step in (None, message.get("step")))

        return match

    injections = {
        "before handler": org.cloud.delivery.inject(function=MINER, crash_on=of(crashed["before handler"], 2),
                                                    crash_after_calls=0),
        "checkpoint, continuation": org.cloud.delivery.inject(
            function=MINER, crash_on=of(crashed["checkpoint, continuation"]),
            crash_after_call=("PutObject", f"{crashed['checkpoint, continuation']}/_run/checkpoint")),
        "continuation, done": org.cloud.delivery.inject(
            function=MINER, crash_on=of(crashed["continuation, done"], 2),
            crash_after_call=("SendMessage", crashed["continuation, done"])),
        "mid-export": org.cloud.delivery.inject(
            function=MINER, crash_on=of(crashed["mid-export"]),
            crash_after_call=("PutObject", f"{crashed['mid-export']}/activity.json")),
    }
    for codebase_id in crashed.values():
        org.mine(codebase_id)
    org.finished(*crashed.values())

    assert {point: i.crashed for point, i in injections.items()} == dict.fromkeys(injections, 1)
    for point, codebase_id in crashed.items():
        deliveries = org.deliveries(codebase_id)
        assert [d.fault for d in deliveries].count("crash") == 1, point
        assert_same_exports(org, codebase_id, baseline)
    assert org.dead_letters() == 0  # no busy bounce or crash burnt a step into the dead-letter queue

    # the org files carry every codebase, each row as the uncrashed run's
    listed = org.org_file(CODEBASES_LIST)["codebases"]
    summary = org.org_file(ORG_SUMMARY)["codebases"]
    assert set(crashed.values()) | {baseline} <= set(listed)
    for codebase_id in crashed.values():
        assert {**listed[codebase_id], "mined_at": None} == {**listed[baseline], "mined_at": None}
        assert summary[codebase_id] == summary[baseline]
    assert listed[baseline]["total_commits"] == 10


def test_a_duplicated_delivery_of_a_step_does_nothing_the_second_time(org: Org, baseline: str):
    codebase_id = org.register()
    injection = org.cloud.delivery.inject(function=MINER, duplicates=1000)  # every batch, twice in a row
    try:
        org.mine(codebase_id)
        org.finished(codebase_id)
        # the last step's duplicate follows the delivery that finished the run
        deliveries = eventually(lambda: (found := org.deliveries(codebase_id))
                                and found[-1].fault == "duplicate" and found, "the last duplicate")
    finally:
        injection.cancel()
    duplicates = [d for d in deliveries if d.fault == "duplicate"]
    firsts = [d for d in deliveries if d.fault is None]
    assert len(duplicates) == len(firsts) > 2
    # each step ran once: had a duplicate worked its step again, it would have sent a second continuation
    assert set(Counter(step_of(d) for d in firsts).values()) == {1}
    for duplicate in duplicates:
        assert duplicate.answer.ok
        assert org.logged_outcomes(duplicate.request_id) == ["dropped"]
    assert_same_exports(org, codebase_id, baseline)
