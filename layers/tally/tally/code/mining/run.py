"""Mining as bounded steps: each step does whole units of work until the next would pass the deadline.

Units: `scan` (resolve the default branch's HEAD, count the commits), `history` batches (records of
commits not in the cache, split across processes), `ownership` (find each file's key, then blame
batches of files whose key is not cached, across processes), `export` (the four exports and the next
cache). A step's first unit always runs and makes progress, however little time is left: a history
batch mines its first commits, and a blame unit the deadline left with nothing blames one file to
its end (a blame batch the deadline cut is halved for the next units). The checkpoint after any
unit resumes exactly: records are pure functions of a sha, blame of a (key, path), and the plan
(HEAD, start time) is fixed by the first step.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pygit2

from tally.code.mining import exports
from tally.code.mining.blame import FileBlame, OutOfTime, Sweep, line_count
from tally.code.mining.history import mine_commits
from tally.code.mining.parallel import parallel_map, workers
from tally.code.mining.repository import (
    READ_ERRORS,
    RepositoryIncomplete,
    branch_refs,
    commit_order,
    open_repository,
    resolve_head,
)

VERSION = 1
PHASES = ("scan", "history", "ownership", "export")
IGNORE_REVS = ".git-blame-ignore-revs"
IGNORE_RULE = "git-fuzzy-matching"  # how ignored commits pass lines on (tally.code.mining.ignored)
SMALL_HISTORY = 200  # commits per extra process, at least
# files per extra process, at least: each extra process walks the whole history again with cold caches
# (measured: 64 files a process cost ~50 % more ownership CPU than one process on 150-500 files, for no wall gain)
SMALL_BLAME = 1000


@dataclass(frozen=True)
class MineRequest:
    repo_path: str
    codebase_id: str
    full_name: str
    default_branch: str | None = None


@dataclass(frozen=True)
class Progress:
    phase: str
    commits_done: int
    commits_total: int


@dataclass
class StepOutcome:
    finished: bool
    checkpoint: dict[str, Any]
    exports: dict[str, dict[str, Any]] | None
    cache: dict[str, Any] | None
    phase_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """Unit sizes: commits per history worker per unit, files per blame batch, processes."""

    history_batch: int = 4000
    blame_batch: int = 4000
    workers: int = 0  # 0: every core this process may use


StopRule = Callable[[float], bool]  # (estimated seconds of the next unit) -> stop now?


def deadline_rule(deadline: float) -> StopRule:
    return lambda estimate: time.monotonic() + estimate >= deadline


def run_step(request: MineRequest, *, checkpoint: dict[str, Any] | None, cache: dict[str, Any] | None,
             stop: StopRule, deadline: float = math.inf, progress: Callable[[Progress], None] | None = None,
             limits: Limits = Limits()) -> StepOutcome:
    repo = open_repository(request.repo_path)
    cache = cache if cache and cache.get("version") == VERSION else {}
    try:
        return _Step(request, repo, cache, stop, deadline, progress, limits).run(checkpoint)
    except READ_ERRORS as error:
        raise RepositoryIncomplete(str(error)) from error


class _Step:
    def __init__(self, request: MineRequest, repo: pygit2.Repository, cache: dict[str, Any], stop: StopRule,
                 deadline: float, progress: Callable[[Progress], None] | None, limits: Limits) -> None:
        self.request, self.repo, self.cache, self.stop = request, repo, cache, stop
        self.deadline, self.progress, self.limits = deadline, progress, limits
        self.workers = limits.workers or workers()
        self._files: tuple[list[exports.HeadFile], int] | None = None
        self._orders: dict[str, list[str]] = {}
        self.blobs: dict[str, list[Any]] = {}  # figures of the blobs at HEAD, for the next cache
        self.units = 0
        self.estimate = 0.0

    def run(self, checkpoint: dict[str, Any] | None) -> StepOutcome:
        state = dict(checkpoint) if checkpoint and checkpoint.get("version") == VERSION else None
        if state is not None and state.get("phase") != "done" and pygit2.Oid(hex=state["head"]) not in self.repo:
            # the history was rewritten between two steps (a force push, then a fresh clone): plan again,
            # keeping the records mined so far (a record is a pure function of its sha)
            self.cache = {**self.cache, "commits": {**self._cached_records, **state["records"]}}
            state = None
        if state is None:
            state = self._timed("scan", None, self._scan)
            self.units = 1
        else:
            state["records"] = dict(state["records"])
            state["blame_done"] = dict(state["blame_done"])
            state["phase_seconds"] = dict(state["phase_seconds"])
        order = self._order(state["head"])
        while state["phase"] == "history":
            pending = [sha for sha in order if sha not in state["records"] and sha not in self._cached_records]
            if not pending:
                state["phase"] = "ownership"
                break
            if not self._may_start():
                return self._unfinished(state, order)
            self._timed("history", state, partial(self._history, state, pending))
            self._report(state, order)
        while state["phase"] == "ownership":
            if not self._may_start():
                return self._unfinished(state, order)
            if state["blame_todo"] is None:
                self._timed("ownership", state, partial(self._plan_blame, state, order))
            elif state["blame_todo"]:
                self._timed("ownership", state, partial(self._blame, state, order))
            else:
                state["phase"] = "export"
            self._report(state, order)
        if not self._may_start():
            return self._unfinished(state, order)
        outcome: StepOutcome = self._timed("export", state, partial(self._export, state, order))
        return outcome

    # units -------------------------------------------------------------------------------------

    def _scan(self) -> dict[str, Any]:
        branch, head = resolve_head(self.repo, self.request.default_branch)
        state = {"version": VERSION, "phase": "history", "head": head, "default_branch": branch,
                 "started_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                 "records": {}, "blame_todo": None, "blame_done": {}, "blame_batch": self.limits.blame_batch,
                 "phase_seconds": {}}
        self._report(state, self._order(head))
        return state

    def _history(self, state: dict[str, Any], pending: list[str]) -> None:
        batch = pending[: self.limits.history_batch * self.workers]
        processes = max(1, min(self.workers, len(batch) // SMALL_HISTORY))  # a few commits: no forks
        size = math.ceil(len(batch) / processes)
        slices = [batch[i:i + size] for i in range(0, len(batch), size)]
        path, deadline, parent = self.request.repo_path, self.deadline, os.getpid()

        def mine(shas: list[str]) -> dict[str, list[Any]]:
            return mine_commits(path, shas, deadline, self.repo if os.getpid() == parent else None)

        for done in parallel_map(mine, slices):
            state["records"].update(done)

    def _plan_blame(self, state: dict[str, Any], order: list[str]) -> None:
        head_files, _ = self._head_files(state["head"])
        texts = [f.path for f in head_files if f.lines]
        ignore_hash = self._ignore_hash(state["head"])
        cached = self.cache.get("blame", {}) if self.cache.get("ignore_revs") == ignore_hash else {}
        keys: dict[str, str] = {}
        if cached and self.cache.get("head"):
            sweep = Sweep(self.repo, order, self._ignore_revs(state["head"]))
            keys = sweep.keys(state["head"], texts, self.cache["head"],
                              {path: entry["key"] for path, entry in cached.items()})
        for path in texts:
            if path in cached and keys.get(path) == cached[path]["key"]:
                state["blame_done"][path] = cached[path]
        state["blame_todo"] = [path for path in texts if path not in state["blame_done"]]

    def _blame(self, state: dict[str, Any], order: list[str]) -> None:
        head = state["head"]
        lines = {f.path: f.lines for f in self._head_files(head)[0]}
        todo: list[str] = state["blame_todo"]
        processes = max(1, min(self.workers, len(todo) // SMALL_BLAME))
        size = max(1, min(state["blame_batch"], math.ceil(len(todo) / processes)))
        groups = [todo[i:i + size] for i in range(0, min(len(todo), size * processes), size)]
        ignore = self._ignore_revs(head)
        ignore_hash = self._ignore_hash(head)
        cached = self.cache.get("blame", {}) if self.cache.get("ignore_revs") == ignore_hash else {}
        known = {path: FileBlame.from_json(entry) for path, entry in cached.items()}
        path, deadline, parent = self.request.repo_path, self.deadline, os.getpid()

        def blame_group(group: list[str], until: float = deadline) -> dict[str, dict[str, Any]] | None:
            # this process's repository has the plan's commits and trees cached; a forked one opens its own
            repo = self.repo if os.getpid() == parent else pygit2.Repository(path)
            sweep = Sweep(repo, order, ignore, known_head=self.cache.get("head") if cached else None)
            try:
                found = sweep.blame(head, group, [lines[p] for p in group], known, deadline=until)
            except OutOfTime:
                return None
            return {p: b.as_json() for p, b in found.items()}

        results: list[dict[str, dict[str, Any]] | None] = [None] * len(groups)
        if time.monotonic() < deadline:  # past it, every sweep would stop at once (and teach nothing)
            results = parallel_map(blame_group, groups)
            for group, result in zip(groups, results, strict=True):
                if result is None:
                    state["blame_batch"] = max(1, len(group) // 2)
        if self.units == 1 and all(result is None for result in results):
            # a step's first unit always makes progress: one file's blame runs to its end, past the deadline
            results.append(blame_group(todo[:1], math.inf))
        done = state["blame_done"]
        for result in results:
            done.update(result or {})
        state["blame_todo"] = [p for p in todo if p not in done]

    def _export(self, state: dict[str, Any], order: list[str]) -> StepOutcome:
        head = state["head"]
        records = {sha: state["records"].get(sha) or self._cached_records[sha] for sha in order}
        files, submodules = self._head_files(head)
        mined = exports.Mined(
            codebase_id=self.request.codebase_id, full_name=self.request.full_name, head_sha=head,
            default_branch=state["default_branch"], mined_at=state["started_at"], order=order, records=records,
            files=files, submodules=submodules,
            blame={p: FileBlame.from_json(entry) for p, entry in state["blame_done"].items()},
            branches=self._branches(state), mailmap=self._blob_at(head, ".mailmap"))
        built = exports.build(mined)
        cache = {"version": VERSION, "head": head, "ignore_revs": self._ignore_hash(head), "commits": records,
                 "blame": {p: state["blame_done"][p] for p in sorted(state["blame_done"])},
                 "blobs": {oid: self.blobs[oid] for oid in sorted(self.blobs)}}
        return StepOutcome(finished=True, checkpoint={"version": VERSION, "phase": "done", "head": head},
                           exports=built, cache=cache, phase_seconds=state["phase_seconds"])

    # helpers -----------------------------------------------------------------------------------

    def _order(self, head: str) -> list[str]:
        if head not in self._orders:
            self._orders[head] = commit_order(self.repo, head)
        return self._orders[head]

    @property
    def _cached_records(self) -> dict[str, list[Any]]:
        records: dict[str, list[Any]] = self.cache.get("commits", {})
        return records

    def _may_start(self) -> bool:
        """The first unit of a step always runs and makes progress (`_blame`); later ones if they fit."""
        self.units += 1
        return self.units == 1 or not self.stop(self.estimate)

    def _timed(self, phase: str, state: dict[str, Any] | None, unit: Callable[[], Any]) -> Any:
        started = time.monotonic()
        result = unit()
        self.estimate = time.monotonic() - started
        target = state if state is not None else result
        if isinstance(target, dict):
            seconds = target["phase_seconds"]
            seconds[phase] = round(seconds.get(phase, 0.0) + self.estimate, 3)
        elif isinstance(target, StepOutcome):
            target.phase_seconds = {**target.phase_seconds,
                                    phase: round(target.phase_seconds.get(phase, 0.0) + self.estimate, 3)}
        return result

    def _report(self, state: dict[str, Any], order: list[str]) -> None:
        if self.progress is None:
            return
        cached = self._cached_records
        done = sum(1 for sha in order if sha in state["records"] or sha in cached)
        self.progress(Progress(phase=state["phase"], commits_done=done, commits_total=len(order)))

    def _unfinished(self, state: dict[str, Any], order: list[str]) -> StepOutcome:
        return StepOutcome(finished=False, checkpoint=state, exports=None, cache=None,
                           phase_seconds=dict(state["phase_seconds"]))

    def _blob_at(self, head: str, path: str) -> bytes | None:
        tree = self.repo[head].peel(pygit2.Tree)
        if path not in tree:
            return None
        blob = self.repo[tree[path].id]
        return blob.data if isinstance(blob, pygit2.Blob) else None

    def _ignore_revs(self, head: str) -> frozenset[str]:
        text = self._blob_at(head, IGNORE_REVS) or b""
        revs = set()
        for raw in text.decode("utf-8", "replace").splitlines():
            line = raw.split("#", 1)[0].strip()
            if len(line) == 40 and all(c in "0123456789abcdef" for c in line.lower()):
                revs.add(line.lower())
        return frozenset(revs)

    def _ignore_hash(self, head: str) -> str:
        revs = sorted(self._ignore_revs(head))
        # the rule's name joins the list, so blame cached under the earlier rule (same place in the
        # region only) is redone; a repository ignoring nothing keeps its cache
        return hashlib.sha256("\n".join([IGNORE_RULE, *revs] if revs else []).encode()).hexdigest()

    def _head_files(self, head: str) -> tuple[list[exports.HeadFile], int]:
        """Files at HEAD (sizes, text lines), once per step; a blob's figures come from the cache when known."""
        if self._files is not None:
            return self._files
        known: dict[str, list[Any]] = dict(self.cache.get("blobs", {}))
        files: list[exports.HeadFile] = []
        submodules = 0
        stack: list[tuple[str, pygit2.Tree]] = [("", self.repo[head].peel(pygit2.Tree))]
        while stack:
            prefix, tree = stack.pop()
            for entry in tree:
                path = prefix + (entry.name or "")
                if entry.type_str == "tree":
                    stack.append((path + "/", self.repo[entry.id].peel(pygit2.Tree)))
                elif entry.type_str == "commit":
                    submodules += 1
                else:
                    oid = str(entry.id)
                    if oid not in known:
                        data = self.repo[entry.id].read_raw()
                        binary = b"\0" in data[:8000]
                        known[oid] = [len(data), 0 if binary else line_count(data), binary]
                    size, lines, binary = known[oid]
                    self.blobs[oid] = known[oid]
                    files.append(exports.HeadFile(path=path, size=size, lines=lines, binary=binary,
                                                  symlink=entry.filemode == pygit2.enums.FileMode.LINK))
        files.sort(key=lambda f: f.path)
        self._files = files, submodules
        return self._files

    def _branches(self, state: dict[str, Any]) -> list[exports.Branch]:
        default = pygit2.Oid(hex=state["head"])
        found = []
        for name, ref in branch_refs(self.repo).items():
            commit = self.repo.lookup_reference(ref).peel(pygit2.Commit)
            ahead, behind = self.repo.ahead_behind(commit.id, default)
            found.append(exports.Branch(name=name, head_sha=str(commit.id), ahead=ahead, behind=behind,
                                        last_commit_at=exports.iso(commit.commit_time)))
        return found

