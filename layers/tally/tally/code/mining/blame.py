"""Ownership: which commit last touched each line of the text files at HEAD (`git blame`'s rules).

One backward sweep blames a batch of files together, as git blame does one file: walking the
history children-first, a suspect (commit, path) passes its lines whole to the first parent holding
the same blob; otherwise, parent by parent, the lines a diff of the parent's version (same path, or
the rename source when the path is new there) leaves unchanged pass to that parent; the rest are
the commit's own. Diffs are xdiff's (libgit2 carries git's), zero context, indent heuristic on, as
git blame's. A commit listed in `.git-blame-ignore-revs` passes even its changed lines to the
parent, line for line within each changed region (git's fallback rule; git also fuzzy-matches
similar lines there, which this does not); lines left over stay with it.

A file's blame at HEAD equals its blame at the commit where that whole-passing stops (the last
commit that touched it), so that commit is the file's cache key: a re-mine re-blames only files
whose key changed, and a sweep that reaches a cached (key, path) takes the cached lines as they are.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pygit2
from pygit2.enums import DeltaStatus, DiffFind, DiffOption

BLAME_DIFF = DiffOption.FORCE_TEXT | DiffOption.INDENT_HEURISTIC

Entries = list[tuple[int, int]]  # (line index in the suspect's version, slot = file index << 32 | line at HEAD)


@dataclass(frozen=True)
class FileBlame:
    key: str  # the last commit that touched the file (see the module's docstring)
    runs: list[list[Any]]  # [[commit sha, consecutive lines], ...] in line order

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "runs": self.runs}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileBlame:
        return cls(key=data["key"], runs=[list(run) for run in data["runs"]])

    def lines_by_commit(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for sha, count in self.runs:
            counts[sha] = counts.get(sha, 0) + count
        return counts


def line_count(data: bytes) -> int:
    """Lines as git counts them: newline-terminated ones plus a last unterminated one."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


class OutOfTime(Exception):
    """A sweep passed its deadline; its batch is retried smaller in the next step."""


class Sweep:
    """The shared walk: whole-passing (for keys) and line passing (for blame), children first."""

    def __init__(self, repo: pygit2.Repository, order: list[str], ignore: frozenset[str]) -> None:
        self.repo = repo
        self.order = order
        self.ignore = ignore
        self._renames: dict[tuple[str, str], dict[str, str]] = {}

    def _same_parent(self, commit: pygit2.Commit, paths: Iterable[str]) -> dict[str, int | None]:
        """For each path: the index of the first parent holding the same blob, or None."""
        tree = commit.tree
        parents = [parent.tree for parent in commit.parents]
        paths = list(paths)
        found: dict[str, int | None] = {}
        if len(paths) <= 24:
            for path in paths:
                blob_id = tree[path].id
                found[path] = next((i for i, ptree in enumerate(parents)
                                    if path in ptree and ptree[path].id == blob_id), None)
            return found
        changed = [{delta.new_file.path for delta in ptree.diff_to_tree(tree).deltas} for ptree in parents]
        for path in paths:
            found[path] = next((i for i, names in enumerate(changed) if path not in names), None)
        return found

    def _source_path(self, parent: pygit2.Commit, commit: pygit2.Commit, path: str) -> str | None:
        if path in parent.tree:
            return path
        key = (str(parent.id), str(commit.id))
        if key not in self._renames:
            diff = parent.tree.diff_to_tree(commit.tree)
            diff.find_similar(flags=DiffFind.FIND_RENAMES)
            self._renames[key] = {delta.new_file.path: delta.old_file.path
                                  for delta in diff.deltas if delta.status == DeltaStatus.RENAMED}
        return self._renames[key].get(path)

    def keys(self, head: str, paths: list[str], known_head: str | None,
             known_keys: dict[str, str]) -> dict[str, str]:
        """Each path's key, walking only until each whole-passing stops (or reaches `known_head`)."""
        keys: dict[str, str] = {}
        pending: dict[str, set[str]] = {head: set(paths)}
        for sha in self.order:
            if not pending:
                break
            here = pending.pop(sha, None)
            if not here:
                continue
            if sha == known_head:
                for path in [p for p in here if p in known_keys]:
                    keys[path] = known_keys[path]
                    here.discard(path)
            if not here:
                continue
            commit = self.repo[sha].peel(pygit2.Commit)
            for path, parent in self._same_parent(commit, here).items():
                if parent is None:
                    keys[path] = sha
                else:
                    pending.setdefault(str(commit.parent_ids[parent]), set()).add(path)
        return keys

    def blame(self, head: str, paths: list[str], lines: list[int],
              known: dict[str, FileBlame], deadline: float = math.inf) -> dict[str, FileBlame]:
        """Blame `paths` (with `lines` lines each at `head`); `known` holds earlier results by path."""
        origins: list[list[str | None]] = [[None] * count for count in lines]
        keys: dict[int, str] = {}
        index = {path: i for i, path in enumerate(paths)}
        pending: dict[str, dict[str, Entries]] = {
            head: {path: [(line, i << 32 | line) for line in range(count)] for i, (path, count) in
                   enumerate(zip(paths, lines, strict=True)) if count}}
        for step, sha in enumerate(self.order):
            if not pending:
                break
            here = pending.pop(sha, None)
            if not here:
                continue
            if step % 64 == 0 and time.monotonic() >= deadline:
                raise OutOfTime
            commit = self.repo[sha].peel(pygit2.Commit)
            same = self._same_parent(commit, here)
            for path, entries in here.items():
                parent = same[path]
                if parent is not None:
                    pending.setdefault(str(commit.parent_ids[parent]), {}).setdefault(path, []).extend(entries)
                    continue
                own = index.get(path)
                if own is not None and own not in keys and any(slot >> 32 == own for _, slot in entries):
                    keys[own] = sha  # where the HEAD file's whole-passing stops
                cached = known.get(path)
                if cached is not None and cached.key == sha:
                    _assign_from_runs(origins, entries, cached.runs)
                    continue
                for slot_line, owner in self._pass_lines(commit, path, entries, pending):
                    origins[slot_line >> 32][slot_line & 0xFFFFFFFF] = owner
        return {path: FileBlame(key=keys[i], runs=_runs(origins[i]))
                for i, path in enumerate(paths) if lines[i]}

    def _pass_lines(self, commit: pygit2.Commit, path: str, entries: Entries,
                    pending: dict[str, dict[str, Entries]]) -> list[tuple[int, str]]:
        """Hand the lines the parents share to them; return (slot, this commit) for the rest."""
        sha = str(commit.id)
        blob = self.repo[commit.tree[path].id].peel(pygit2.Blob)
        remaining = sorted(entries)
        ignored = sha in self.ignore
        for parent in commit.parents:
            if not remaining:
                break
            source = self._source_path(parent, commit, path)
            if source is None:
                continue
            parent_blob = self.repo[parent.tree[source].id].peel(pygit2.Blob)
            patch = pygit2.Patch.create_from(parent_blob, blob, flag=BLAME_DIFF, context_lines=0)
            passed, remaining = _match(remaining, patch.hunks, ignored)
            if passed:
                pending.setdefault(str(parent.id), {}).setdefault(source, []).extend(passed)
        return [(slot, sha) for _, slot in remaining]


def _match(entries: Entries, hunks: list[Any], ignored: bool) -> tuple[Entries, Entries]:
    """Split sorted entries into (passed to the parent with the parent's line index, kept)."""
    passed: Entries = []
    kept: Entries = []
    spans = []  # (new start, new end, old start, old lines), 0-based half-open
    for hunk in hunks:
        new_start = hunk.new_start - 1 if hunk.new_lines else hunk.new_start
        old_start = hunk.old_start - 1 if hunk.old_lines else hunk.old_start
        spans.append((new_start, new_start + hunk.new_lines, old_start, hunk.old_lines))
    position = 0
    offset = 0  # old line = new line + offset, between hunks
    for line, slot in entries:
        while position < len(spans) and spans[position][1] <= line:
            new_start, new_end, old_start, old_lines = spans[position]
            offset = old_start + old_lines - new_end
            position += 1
        if position < len(spans) and spans[position][0] <= line:
            new_start, _, old_start, old_lines = spans[position]
            if ignored and line - new_start < old_lines:
                passed.append((old_start + line - new_start, slot))
            else:
                kept.append((line, slot))
        else:
            passed.append((line + offset, slot))
    return passed, kept


def _assign_from_runs(origins: list[list[str | None]], entries: Entries, runs: list[list[Any]]) -> None:
    flat: list[str] = []
    for sha, count in runs:
        flat.extend([sha] * count)
    for line, slot in entries:
        origins[slot >> 32][slot & 0xFFFFFFFF] = flat[line]


def _runs(origins: list[str | None]) -> list[list[Any]]:
    runs: list[list[Any]] = []
    for owner in origins:
        if owner is None:
            raise AssertionError("a line was left unblamed")
        if runs and runs[-1][0] == owner:
            runs[-1][1] += 1
        else:
            runs.append([owner, 1])
    return runs
