"""A re-mine reuses the cache and equals a full mine; a run resumed at any step boundary equals one run."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import pytest

from tally.code.mining import PHASES, MineRequest, RepositoryIncomplete, UnknownBranch, mine_all, mine_step
from tally.code.mining.run import Limits, run_step
from tests.unit.code_mining.conftest import CAROL

REQUEST = dict(codebase_id="cb1", full_name="demo/repo")


def request_for(repo) -> MineRequest:
    return MineRequest(repo_path=str(repo.path), **REQUEST)


def comparable(outcome) -> dict:
    """Exports and cache as stored (JSON), the run's start time aside."""
    exports = json.loads(json.dumps(outcome.exports))
    exports["overview"].pop("mined_at")
    return {"exports": exports, "cache": json.loads(json.dumps(outcome.cache))}


def add_commits(repo) -> None:
    repo.commit("more", {"src/util.py": "def f():\n    return  2\n", "new.md": "new\n"}, author=CAROL)
    repo.git("checkout", "-q", "-b", "late", "HEAD~2")
    repo.commit("late side", {"late.txt": "late\n"})
    repo.git("checkout", "-q", "main")
    repo.merge("late", message="merge late")


def test_a_re_mine_after_new_commits_mines_only_those_and_equals_a_full_mine(sample):
    first = mine_all(request_for(sample))
    add_commits(sample)
    seen = []
    incremental = mine_all(request_for(sample), cache=json.loads(json.dumps(first.cache)), progress=seen.append)
    full = mine_all(request_for(sample))
    assert comparable(incremental) == comparable(full)
    assert incremental.exports["overview"]["total_additions"] == sample.numstat()[0]
    assert incremental.exports["overview"]["total_commits"] == sample.count("HEAD")
    # only the three new commits were diffed: the history pass started with everything else cached
    assert seen[0].phase == "history" and seen[0].commits_total - seen[0].commits_done == 3


def test_only_files_touched_since_the_cache_are_re_blamed(sample, monkeypatch):
    from tally.code.mining import blame

    first = mine_all(request_for(sample))
    sample.commit("touch one file", {"README.md": "# Demo\n\nHi from both.\nResolved.\nMore.\n"})
    blamed: list[str] = []
    original = blame.Sweep.blame

    def spy(self, head, paths, lines, known, deadline=math.inf):
        blamed.extend(paths)
        return original(self, head, paths, lines, known, deadline)

    monkeypatch.setattr(blame.Sweep, "blame", spy)
    again = mine_all(request_for(sample), cache=first.cache)
    assert blamed == ["README.md"]
    assert again.cache["blame"]["README.md"]["key"] == sample.head()
    assert sum(c for _, c in again.cache["blame"]["README.md"]["runs"]) == 5


def test_a_re_mine_stops_its_sweep_at_the_cached_head_and_still_equals_git_blame(sample, monkeypatch):
    from collections import Counter

    from tally.code.mining import blame

    first = mine_all(request_for(sample))
    before = set(sample.git("rev-list", "HEAD").split())
    sample.git("checkout", "-q", "-b", "older", "HEAD~3")  # a branch from before the cached HEAD
    sample.commit("older side", {"src/main.py": (sample.path / "src/main.py").read_text().replace("line 5", "five")})
    sample.git("checkout", "-q", "main")
    sample.git("mv", "src/util.py", "src/helpers.py")
    sample.commit("rename util", {"src/helpers.py": (sample.path / "src/helpers.py").read_text() + "x = 2\n"})
    sample.commit("edit two", {"README.md": "# Demo!\n" + (sample.path / "README.md").read_text()[7:],
                               "src/main.py": (sample.path / "src/main.py").read_text().replace("line 1\n", "one\n")})
    sample.merge("older", message="merge older")
    visited: list[str] = []
    original = blame._Visit

    def spy(repo, sha):
        visited.append(sha)
        return original(repo, sha)

    monkeypatch.setattr(blame, "_Visit", spy)
    again = mine_all(request_for(sample), cache=json.loads(json.dumps(first.cache)))
    monkeypatch.undo()
    assert comparable(again) == comparable(mine_all(request_for(sample)))
    for path, entry in again.cache["blame"].items():
        ours: Counter[str] = Counter()
        for sha, count in entry["runs"]:
            ours[sha] += count
        assert ours == sample.blame(path), path
    # only the older branch's lines walk on past the cached HEAD (to the commit it started from)
    assert set(visited) - before <= set(sample.git("rev-list", "HEAD").split()) - before
    assert set(visited) & before <= {sample.head("older~1")}


def test_a_force_pushed_history_re_mined_from_a_stale_cache_equals_a_full_mine(sample):
    first = mine_all(request_for(sample))
    sample.git("reset", "-q", "--hard", "HEAD~4")
    sample.commit("rewritten", {"src/main.py": "rewritten\n", "README.md": "# New\n"}, author=CAROL)
    rewritten = mine_all(request_for(sample), cache=first.cache)
    assert comparable(rewritten) == comparable(mine_all(request_for(sample)))
    assert set(rewritten.cache["commits"]) == set(sample.git("rev-list", "HEAD").split())
    assert rewritten.exports["overview"]["total_deletions"] == sample.numstat()[1]


class StopAfter:
    """Stops at the n-th step boundary (a stand-in for the deadline, so no test depends on timing)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, _estimate: float) -> bool:
        self.n -= 1
        return self.n < 0


def test_resuming_after_every_step_boundary_equals_an_uninterrupted_mine(sample):
    limits = Limits(history_batch=4, blame_batch=3, workers=1)
    request = request_for(sample)
    whole = run_step(request, checkpoint=None, cache=None, stop=lambda _: False, limits=limits)
    assert whole.finished
    boundaries = 0
    while True:
        outcome = run_step(request, checkpoint=None, cache=None, stop=StopAfter(boundaries), limits=limits)
        steps = 1
        while not outcome.finished:
            checkpoint = json.loads(json.dumps(outcome.checkpoint))  # as the caller stores it
            outcome = run_step(request, checkpoint=checkpoint, cache=None, stop=StopAfter(boundaries), limits=limits)
            steps += 1
        assert comparable(outcome) == comparable(whole), f"stopped at every {boundaries + 1} units"
        if steps == 1:
            break
        boundaries += 1
    assert boundaries >= 8  # the small limits gave many boundaries, each one resumed


def test_a_step_stops_before_its_deadline_and_reports_progress(sample):
    seen = []
    outcome = mine_step(request_for(sample), checkpoint=None, cache=None, deadline=0.0, progress=seen.append)
    assert not outcome.finished and outcome.exports is None
    assert [p.phase for p in seen] == ["history"]  # the scan ran (a step always does one unit), then it stopped
    assert seen[0].commits_total == sample.count("HEAD") and seen[0].commits_done == 0
    while not outcome.finished:
        outcome = mine_step(request_for(sample), checkpoint=outcome.checkpoint, cache=None, deadline=math.inf,
                            progress=seen.append)
    assert set(outcome.phase_seconds) == {"scan", "history", "ownership", "export"}
    assert seen[-1].commits_done == seen[-1].commits_total


def test_steps_whose_deadline_has_already_passed_each_make_progress_and_finish(sample):
    request = request_for(sample)
    whole = mine_all(request)
    outcome = mine_step(request, checkpoint=None, cache=None, deadline=time.monotonic())
    phases = [outcome.checkpoint["phase"]]
    for _ in range(200):  # bounded: steps that made no progress would never finish
        if outcome.finished:
            break
        before = json.loads(json.dumps(outcome.checkpoint))  # as the caller stores it
        outcome = mine_step(request, checkpoint=before, cache=None, deadline=time.monotonic())
        assert outcome.finished or done_so_far(outcome.checkpoint) > done_so_far(before), "a step made no progress"
        phases.append(outcome.checkpoint["phase"])
    assert outcome.finished
    assert comparable(outcome) == comparable(whole)
    # the deadline stopped every step after its first unit, so each phase took several steps
    assert phases.count("history") > 1 and phases.count("ownership") > 1


def done_so_far(checkpoint: dict) -> tuple[int, int, bool, int]:
    """A checkpoint's work, ordered: phase, commits mined, blame planned, files blamed."""
    return (PHASES.index(checkpoint["phase"]), len(checkpoint["records"]), checkpoint["blame_todo"] is not None,
            len(checkpoint["blame_done"]))


def test_two_processes_give_the_same_result_as_one(sample):
    request = request_for(sample)
    one = run_step(request, checkpoint=None, cache=None, stop=lambda _: False, limits=Limits(workers=1))
    two = run_step(request, checkpoint=None, cache=None, stop=lambda _: False, limits=Limits(workers=2))
    assert comparable(one) == comparable(two)


def test_a_missing_object_fails_the_mine_instead_of_counting_zeros(sample):
    blob = sample.git("rev-parse", "HEAD~3:src/util.py").strip()
    sample.git("gc", "-q", "--prune=now")  # objects packed: unpack so one can be removed
    for pack in (sample.path / ".git" / "objects" / "pack").glob("*.pack"):
        data = pack.read_bytes()
        pack.unlink()
        pack.with_suffix(".idx").unlink()
        sample.git("unpack-objects", "-q", input=data)
    os.remove(sample.path / ".git" / "objects" / blob[:2] / blob[2:])
    with pytest.raises(RepositoryIncomplete):
        mine_all(request_for(sample))


def test_a_missing_branch_or_a_non_repository_is_refused(sample, tmp_path: Path):
    with pytest.raises(UnknownBranch):
        mine_all(MineRequest(repo_path=str(sample.path), default_branch="nope", **REQUEST))
    with pytest.raises(RepositoryIncomplete):
        mine_all(MineRequest(repo_path=str(tmp_path / "empty"), **REQUEST))


def test_another_default_branch_is_mined_from_its_own_head(sample):
    outcome = mine_all(MineRequest(repo_path=str(sample.path), default_branch="stale", **REQUEST))
    assert outcome.exports["overview"]["total_commits"] == sample.count("stale")
    assert outcome.exports["overview"]["total_additions"] == sample.numstat("stale")[0]
    branches = {b["name"]: b for b in outcome.exports["branches"]["branches"]}
    assert (branches["stale"]["ahead"], branches["stale"]["behind"]) == (0, 0)


def test_a_blame_batch_that_runs_out_of_time_is_retried_smaller(sample, monkeypatch):
    from tally.code.mining import blame

    request = request_for(sample)
    whole = run_step(request, checkpoint=None, cache=None, stop=lambda _: False, limits=Limits(workers=1))
    original = blame.Sweep.blame
    calls = []

    def out_of_time_once(self, head, paths, lines, known, deadline=math.inf):
        calls.append(len(paths))
        if len(calls) == 1:
            raise blame.OutOfTime
        return original(self, head, paths, lines, known, deadline)

    monkeypatch.setattr(blame.Sweep, "blame", out_of_time_once)
    outcome = run_step(request, checkpoint=None, cache=None, stop=StopAfter(2), limits=Limits(workers=1))
    while not outcome.finished:
        outcome = run_step(request, checkpoint=json.loads(json.dumps(outcome.checkpoint)), cache=None,
                           stop=lambda _: False, limits=Limits(workers=1))
    # the cut step still blamed one file to its end (its first unit makes progress), then half the batch at a time
    assert calls[1:3] == [1, calls[0] // 2]
    assert comparable(outcome) == comparable(whole)


def test_a_run_whose_head_vanished_between_steps_plans_again(sample):
    request = request_for(sample)
    limits = Limits(history_batch=4, workers=1)
    outcome = run_step(request, checkpoint=None, cache=None, stop=StopAfter(1), limits=limits)
    assert not outcome.finished
    old_head = sample.head()
    sample.git("reset", "-q", "--hard", "HEAD~2")
    sample.commit("rewritten", {"README.md": "# Rewritten\n"})
    sample.git("reflog", "expire", "--expire=now", "--all")
    sample.git("gc", "-q", "--prune=now")
    assert sample.git("cat-file", "-t", old_head, check=False) == ""  # the checkpoint's head is gone
    while not outcome.finished:
        outcome = run_step(request, checkpoint=outcome.checkpoint, cache=None, stop=lambda _: False,
                           limits=Limits(workers=1))
    assert outcome.exports["overview"]["head_sha"] == sample.head()
    assert comparable(outcome) == comparable(mine_all(request))
