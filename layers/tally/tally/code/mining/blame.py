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
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pygit2
from pygit2.enums import DiffOption

from tally.code.mining.renames import Deleted, deleted_files, rename_source

BLAME_DIFF = DiffOption.FORCE_TEXT | DiffOption.INDENT_HEURISTIC

# Lines travel in ranges: [first line in the suspect's version, count, first slot], where a slot is
# file index << 32 | line at HEAD, so a range covers consecutive lines of one HEAD file.
Entries = list[list[int]]

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
        self._renames: dict[tuple[str, str, str], str | None] = {}
        self._deleted: dict[tuple[str, str], Deleted] = {}

    def _maybe_changed(self, commit: pygit2.Commit, paths: Collection[str]) -> list[str]:
        """The paths whose entry may differ from the first parent's (all of them for a root)."""
        if not commit.parent_ids:
            return list(paths)
        parent_tree = commit.parents[0].tree
        tree = commit.tree
        if len(paths) <= 24:
            return [path for path in paths if path not in parent_tree or parent_tree[path].id != tree[path].id]
        # a type change comes as a deletion and an addition of one path: list it once
        return list(dict.fromkeys(delta.new_file.path for delta in parent_tree.diff_to_tree(tree).deltas
                                  if delta.new_file.path in paths))

    def _same_blob_parent(self, commit: pygit2.Commit, path: str) -> int | None:
        """The index of the first parent holding the same blob at `path` (git blame's whole pass), or None."""
        blob_id = commit.tree[path].id
        for index, parent in enumerate(commit.parents):
            tree = parent.tree
            if path in tree and tree[path].id == blob_id:
                return index
        return None

    def _source_path(self, parent: pygit2.Commit, commit: pygit2.Commit, path: str) -> str | None:
        if path in parent.tree:
            return path
        pair = (str(parent.id), str(commit.id))
        if pair not in self._deleted:
            self._deleted[pair] = deleted_files(parent.tree, commit.tree)
        key = (*pair, path)
        if key not in self._renames:
            self._renames[key] = rename_source(self.repo, self._deleted[pair], commit.tree, path)
        return self._renames[key]

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
            for path in self._maybe_changed(commit, here):
                here.discard(path)
                parent = self._same_blob_parent(commit, path)
                if parent is None:
                    keys[path] = sha
                else:
                    pending.setdefault(str(commit.parent_ids[parent]), set()).add(path)
            if here:
                _hand_over(pending, str(commit.parent_ids[0]), here)
        return keys

    def blame(self, head: str, paths: list[str], lines: list[int],
              known: dict[str, FileBlame], deadline: float = math.inf) -> dict[str, FileBlame]:
        """Blame `paths` (with `lines` lines each at `head`); `known` holds earlier results by path."""
        origins: list[list[str]] = [[""] * count for count in lines]
        keys: dict[int, str] = {}
        index = {path: i for i, path in enumerate(paths)}
        pending: dict[str, dict[str, Entries]] = {
            head: {path: [[0, count, i << 32]] for i, (path, count) in enumerate(zip(paths, lines, strict=True))
                   if count}}
        for step, sha in enumerate(self.order):
            if not pending:
                break
            if step % 64 == 0 and time.monotonic() >= deadline:
                raise OutOfTime
            here = pending.pop(sha, None)
            if not here:
                continue
            commit = self.repo[sha].peel(pygit2.Commit)
            for path in self._maybe_changed(commit, here):
                entries = here.pop(path)
                parent = self._same_blob_parent(commit, path)
                if parent is not None:
                    pending.setdefault(str(commit.parent_ids[parent]), {}).setdefault(path, []).extend(entries)
                    continue
                own = index.get(path)
                if own is not None and own not in keys and any(slot >> 32 == own for _, _, slot in entries):
                    keys[own] = sha  # where the HEAD file's whole-passing stops
                cached = known.get(path)
                if cached is not None and cached.key == sha:
                    _assign_from_runs(origins, entries, cached.runs)
                    continue
                for _, count, slot in self._pass_lines(commit, path, entries, pending):
                    line = slot & 0xFFFFFFFF
                    origins[slot >> 32][line:line + count] = [sha] * count
            if here:
                _hand_over(pending, str(commit.parent_ids[0]), here)
        return {path: FileBlame(key=keys[i], runs=_runs(origins[i]))
                for i, path in enumerate(paths) if lines[i]}

    def _pass_lines(self, commit: pygit2.Commit, path: str, entries: Entries,
                    pending: dict[str, dict[str, Entries]]) -> Entries:
        """Hand the lines the parents share to them; return the ranges that stay with this commit."""
        sha = str(commit.id)
        data = self.repo[commit.tree[path].id].peel(pygit2.Blob).data
        remaining = sorted(entries)
        ignored = sha in self.ignore
        for parent in commit.parents:
            if not remaining:
                break
            source = self._source_path(parent, commit, path)
            if source is None:
                continue
            parent_data = self.repo[parent.tree[source].id].peel(pygit2.Blob).data
            keep = trimmed_size(parent_data, data)
            patch = pygit2.Patch.create_from(parent_data[:len(parent_data) - keep], data[:len(data) - keep],
                                             flag=BLAME_DIFF, context_lines=0)
            passed, remaining = _match(remaining, patch.hunks, ignored)
            if passed:
                pending.setdefault(str(parent.id), {}).setdefault(source, []).extend(passed)
        return remaining


def trimmed_size(old: bytes, new: bytes, block: int = 1024) -> int:
    """Bytes of common tail git's xdi_diff leaves out of a zero-context diff (whole 1 KiB blocks, back to a
    line end). The choice among equal lines depends on it, so blame diffs the same trimmed buffers."""
    trimmed = 0
    smaller = min(len(old), len(new))
    while block + trimmed <= smaller and \
            old[len(old) - trimmed - block:len(old) - trimmed] == new[len(new) - trimmed - block:len(new) - trimmed]:
        trimmed += block
    if not trimmed:
        return 0
    newline = old.find(b"\n", len(old) - trimmed, len(old))
    recovered = trimmed if newline < 0 else newline + 1 - (len(old) - trimmed)
    return trimmed - recovered


def _hand_over(pending: dict[str, Any], parent: str, moving: Any) -> None:
    """Give a parent a child's whole remaining set (merging the smaller into the larger if it has one)."""
    present = pending.get(parent)
    if present is None:
        pending[parent] = moving
        return
    small, large = (moving, present) if len(moving) <= len(present) else (present, moving)
    if isinstance(large, set):
        large |= small
    else:
        for path, entries in small.items():
            large.setdefault(path, []).extend(entries)
    pending[parent] = large


def _match(entries: Entries, hunks: list[Any], ignored: bool) -> tuple[Entries, Entries]:
    """Split ranges into (passed to the parent, in the parent's line numbers; kept by this commit)."""
    spans = []  # (new start, new end, old start, old lines), 0-based half-open
    for hunk in hunks:
        new_start = hunk.new_start - 1 if hunk.new_lines else hunk.new_start
        old_start = hunk.old_start - 1 if hunk.old_lines else hunk.old_start
        spans.append((new_start, new_start + hunk.new_lines, old_start, hunk.old_lines))
    ends = [span[1] for span in spans]
    offsets = [0] + [old_start + old_lines - new_end for _, new_end, old_start, old_lines in spans]
    passed: Entries = []
    kept: Entries = []
    for first, count, slot in entries:
        line, end = first, first + count
        position = bisect_right(ends, line)
        while line < end:
            if position < len(spans) and spans[position][0] <= line:
                new_start, new_end, old_start, old_lines = spans[position]
                stop = min(end, new_end)
                if ignored:  # git's fallback: the changed line at the same place in the parent's version
                    shared = min(stop, new_start + old_lines)
                    if line < shared:
                        passed.append([old_start + line - new_start, shared - line, slot + line - first])
                        line = shared
                if line < stop:
                    kept.append([line, stop - line, slot + line - first])
                line = max(line, stop)
                position += 1
            else:
                stop = min(end, spans[position][0]) if position < len(spans) else end
                passed.append([line + offsets[position], stop - line, slot + line - first])
                line = stop
    return passed, kept


def _assign_from_runs(origins: list[list[str]], entries: Entries, runs: list[list[Any]]) -> None:
    flat: list[str] = []
    for sha, count in runs:
        flat.extend([sha] * count)
    for first, count, slot in entries:
        line = slot & 0xFFFFFFFF
        origins[slot >> 32][line:line + count] = flat[first:first + count]


def _runs(origins: list[str]) -> list[list[Any]]:
    runs: list[list[Any]] = []
    for owner in origins:
        if not owner:
            raise AssertionError("a line was left unblamed")
        if runs and runs[-1][0] == owner:
            runs[-1][1] += 1
        else:
            runs.append([owner, 1])
    return runs
