"""Ownership: which commit last touched each line of the text files at HEAD (`git blame`'s rules).

One backward sweep blames a batch of files together, as git blame does one file: walking the
history children-first, a suspect (commit, path) passes its lines whole to the first parent holding
the same blob; otherwise, parent by parent, the lines a diff of the parent's version (same path, or
the rename source when the path is new there) leaves unchanged pass to that parent; the rest are
the commit's own. Diffs are xdiff's (libgit2 carries git's), zero context, indent heuristic on, as
git blame's. A commit listed in `.git-blame-ignore-revs` (`git blame --ignore-revs-file`) first
passes its unchanged lines to every parent as above; then, parent by parent, each changed line goes
to the parent line git would guess for it (ignored.py: a fuzzy match of byte-pair fingerprints
within the changed region, else the most similar line anywhere in the parent's version); a line
like no parent line stays with the ignored commit, as git blame shows it (its "unblamable" mark
only appears with blame.markUnblamableLines). Only ignored commits take that second round.

A file's blame at HEAD equals its blame at the commit where that whole-passing stops (the last
commit that touched it), so that commit is the file's cache key: a re-mine re-blames only files
whose key changed, and a sweep that reaches a cached (key, path) takes the cached lines as they are;
so does one that reaches the cached mine's HEAD (where every cached blame holds as it is), which
ends a re-mine's sweep there instead of at each re-blamed file's previous key.
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

from tally.code.mining.ignored import guess_parent_lines
from tally.code.mining.renames import Deleted, deleted_files, deleted_in, rename_source

BLAME_DIFF = DiffOption.FORCE_TEXT | DiffOption.INDENT_HEURISTIC

# bytes of blob contents kept: a parent's version is read again as that commit's own version, often
# hundreds of reads later (a count of 256 blobs missed ~20 % of those re-reads on the bench repositories)
BLOB_CACHE_BYTES = 32 << 20

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
        return cls(key=data["key"], runs=data["runs"])  # shared, not copied: nothing changes a blame's runs

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

    def __init__(self, repo: pygit2.Repository, order: list[str], ignore: frozenset[str],
                 known_head: str | None = None) -> None:
        """`known_head`: the commit at which the `known` blames given to `blame` were mined, if any."""
        self.repo = repo
        self.order = order
        self.ignore = ignore
        self.known_head = known_head
        self._renames: dict[tuple[str, str, str], str | None] = {}
        self._deleted: dict[tuple[str, str], Deleted] = {}
        self._blobs: dict[pygit2.Oid, bytes] = {}
        self._blob_bytes = 0

    def _data(self, oid: pygit2.Oid) -> bytes:
        """A blob's content, kept for a while (read as a parent's version, then as that parent's own)."""
        data = self._blobs.get(oid)
        if data is None:
            data = self.repo[oid].peel(pygit2.Blob).data
            while self._blobs and self._blob_bytes + len(data) > BLOB_CACHE_BYTES:
                self._blob_bytes -= len(self._blobs.pop(next(iter(self._blobs))))
            self._blobs[oid] = data
            self._blob_bytes += len(data)
        return data

    def _maybe_changed(self, commit: _Visit, paths: Collection[str]) -> list[str]:
        """The paths whose entry may differ from the first parent's (all of them for a root)."""
        if not commit.parents:
            return list(paths)
        parent_tree = commit.parent_trees[0]
        tree = commit.tree
        if len(paths) <= 24:
            return [path for path in paths if path not in parent_tree or parent_tree[path].id != tree[path].id]
        deltas = list(parent_tree.diff_to_tree(tree).deltas)
        commit.first_parent_deleted = deleted_in(deltas)  # the rename sources, should a path be new here
        # a type change comes as a deletion and an addition of one path: list it once
        return list(dict.fromkeys(delta.new_file.path for delta in deltas if delta.new_file.path in paths))

    def _same_blob_parent(self, commit: _Visit, path: str) -> int | None:
        """The index of the first parent holding the same blob at `path` (git blame's whole pass), or None."""
        blob_id = commit.tree[path].id
        for index, tree in enumerate(commit.parent_trees):
            if path in tree and tree[path].id == blob_id:
                return index
        return None

    def _source_path(self, parent: str, parent_tree: pygit2.Tree, commit: _Visit, path: str) -> str | None:
        if path in parent_tree:
            return path
        pair = (parent, commit.sha)
        if pair not in self._deleted:
            known = commit.first_parent_deleted if parent == commit.parents[0] else None
            self._deleted[pair] = deleted_files(parent_tree, commit.tree) if known is None else known
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
            commit = _Visit(self.repo, sha)
            for path in self._maybe_changed(commit, here):
                here.discard(path)
                parent = self._same_blob_parent(commit, path)
                if parent is None:
                    keys[path] = sha
                else:
                    pending.setdefault(commit.parents[parent], set()).add(path)
            if here:
                _hand_over(pending, commit.parents[0], here)
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
            if sha == self.known_head:
                for path in [path for path in here if path in known]:
                    entries = here.pop(path)
                    own = index.get(path)
                    if own is not None and own not in keys and any(slot >> 32 == own for _, _, slot in entries):
                        keys[own] = known[path].key  # its whole-passing continues as the cached one did
                    _assign_from_runs(origins, entries, known[path].runs)
                if not here:
                    continue
            commit = _Visit(self.repo, sha)
            for path in self._maybe_changed(commit, here):
                entries = here.pop(path)
                parent = self._same_blob_parent(commit, path)
                if parent is not None:
                    pending.setdefault(commit.parents[parent], {}).setdefault(path, []).extend(entries)
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
                _hand_over(pending, commit.parents[0], here)
        return {path: FileBlame(key=keys[i], runs=_runs(origins[i]))
                for i, path in enumerate(paths) if lines[i]}

    def _pass_lines(self, commit: _Visit, path: str, entries: Entries,
                    pending: dict[str, dict[str, Entries]]) -> Entries:
        """Hand the lines the parents share to them; return the ranges that stay with this commit."""
        data: bytes | None = None  # read only when some parent has a version to diff against
        remaining = sorted(entries)
        diffs: list[tuple[str, str, bytes, list[Any]]] = []  # kept for an ignored commit's second round
        for parent, parent_tree in zip(commit.parents, commit.parent_trees, strict=True):
            if not remaining:
                break
            source = self._source_path(parent, parent_tree, commit, path)
            if source is None:
                continue
            parent_data = self._data(parent_tree[source].id)
            if data is None:
                data = self._data(commit.tree[path].id)
            keep = trimmed_size(parent_data, data)
            patch = pygit2.Patch.create_from(parent_data[:len(parent_data) - keep], data[:len(data) - keep],
                                             flag=BLAME_DIFF, context_lines=0)
            passed, remaining = _match(remaining, patch.hunks)
            if passed:
                pending.setdefault(parent, {}).setdefault(source, []).extend(passed)
            diffs.append((parent, source, parent_data, patch.hunks))
        if remaining and data is not None and commit.sha in self.ignore:
            remaining = _pass_ignored(remaining, data, diffs, pending)
        return remaining


class _Visit:
    """A commit as the sweep visits it: its tree and its parents' (shas, trees) looked up once."""

    __slots__ = ("first_parent_deleted", "parent_trees", "parents", "sha", "tree")

    def __init__(self, repo: pygit2.Repository, sha: str) -> None:
        commit = repo[sha].peel(pygit2.Commit)
        self.sha = sha
        self.tree = commit.tree
        self.parents = [str(oid) for oid in commit.parent_ids]
        self.parent_trees = [parent.tree for parent in commit.parents]
        self.first_parent_deleted: Deleted | None = None  # set when the sweep diffs the first parent's tree


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


def _pass_ignored(remaining: Entries, data: bytes, diffs: list[tuple[str, str, bytes, list[Any]]],
                  pending: dict[str, dict[str, Entries]]) -> Entries:
    """git's second round for an ignored commit: once every parent took its unchanged lines, parent by
    parent (one whose version an earlier one has is skipped, as git does) the changed lines go to the
    parent lines they resemble (see ignored.py); lines that resemble none stay with the commit."""
    seen: set[bytes] = set()
    for parent, source, parent_data, hunks in diffs:
        if not remaining:
            break
        if parent_data in seen:
            continue
        seen.add(parent_data)
        passed, inside = _match(remaining, hunks)  # lines outside this parent's changes pass as usual
        guesses = guess_parent_lines(parent_data, data, _regions(hunks),
                                     (line for first, count, _ in inside for line in range(first, first + count)))
        remaining = []
        for first, count, slot in inside:
            for line in range(first, first + count):
                match = guesses.get(line)
                into = passed if match is not None else remaining
                start = match if match is not None else line
                last = into[-1] if into else None
                # consecutive lines that land on consecutive lines travel as one range
                if last is not None and last[0] + last[1] == start and last[2] + last[1] == slot + line - first:
                    last[1] += 1
                else:
                    into.append([start, 1, slot + line - first])
        if passed:
            pending.setdefault(parent, {}).setdefault(source, []).extend(passed)
    return remaining


def _regions(hunks: list[Any]) -> list[tuple[int, int, int, int]]:
    """The hunks as (start, lines) in the new version then in the old, 0-based (an empty side's start is
    the line before which it sits)."""
    return [(hunk.new_start - 1 if hunk.new_lines else hunk.new_start, hunk.new_lines,
             hunk.old_start - 1 if hunk.old_lines else hunk.old_start, hunk.old_lines) for hunk in hunks]


def _match(entries: Entries, hunks: list[Any]) -> tuple[Entries, Entries]:
    """Split ranges into (passed to the parent, in the parent's line numbers; kept by this commit)."""
    starts: list[int] = []  # the hunks' new lines [start, end), old start and old lines, 0-based
    ends: list[int] = []
    old_starts: list[int] = []
    old_counts: list[int] = []
    for hunk in hunks:
        new_lines, old_lines = hunk.new_lines, hunk.old_lines
        new_start = hunk.new_start - 1 if new_lines else hunk.new_start
        starts.append(new_start)
        ends.append(new_start + new_lines)
        old_starts.append(hunk.old_start - 1 if old_lines else hunk.old_start)
        old_counts.append(old_lines)
    offsets = [0] + [old_start + old_lines - new_end
                     for old_start, old_lines, new_end in zip(old_starts, old_counts, ends, strict=True)]
    spans = len(starts)
    passed: Entries = []
    kept: Entries = []
    for first, count, slot in entries:
        end = first + count
        position = bisect_right(ends, first)
        if position == spans or end <= starts[position]:  # no hunk touches the range: it passes whole
            passed.append([first + offsets[position], count, slot])
            continue
        line = first
        while line < end:
            if position < spans and starts[position] <= line:
                stop = min(end, ends[position])
                if line < stop:  # (a deletion's empty span keeps nothing)
                    kept.append([line, stop - line, slot + line - first])
                line = max(line, stop)
                position += 1
            else:
                stop = min(end, starts[position]) if position < spans else end
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
