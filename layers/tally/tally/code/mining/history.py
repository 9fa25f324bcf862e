"""The history pass: one record per commit, a pure function of its sha (so it is cached by sha).

A non-merge commit is diffed against its first parent, the root against the empty tree, without
rename detection; a binary file change is counted apart and adds no lines: exactly what
`git log --numstat --no-merges --no-renames` sums. Merges get a record without figures (their
changes are the merged commits' own, counted there).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pygit2

from tally.code.mining.repository import READ_ERRORS, RepositoryIncomplete, decode

# A record is a short list (compact in a JSON cache):
# [parents, author name, author email, author time (epoch s), committer time,
#  additions, deletions, binary changes, addition bytes, deletion bytes]
PARENTS, NAME, EMAIL, AUTHOR_TIME, COMMIT_TIME, ADDITIONS, DELETIONS, BINARY, ADDITION_BYTES, DELETION_BYTES = range(10)
# A patch's added and deleted lines (counted by a regex in C rather than a loop per line)
ADDED_LINE, DELETED_LINE = re.compile(rb"^\+[^\n]*", re.M), re.compile(rb"^-[^\n]*", re.M)


def commit_record(repo: pygit2.Repository, sha: str) -> list[Any]:
    commit = repo[sha]
    assert isinstance(commit, pygit2.Commit)
    author = commit.author
    parents = commit.parent_ids
    record: list[Any] = [len(parents), decode(author.raw_name, commit.message_encoding),
                         decode(author.raw_email, commit.message_encoding), author.time, commit.commit_time,
                         0, 0, 0, 0, 0]
    if len(parents) > 1:
        return record
    if parents:
        diff = repo[parents[0]].peel(pygit2.Tree).diff_to_tree(commit.tree, context_lines=0)
    else:
        diff = commit.tree.diff_to_tree(swap=True, context_lines=0)
    for patch in diff:
        if patch.delta.is_binary:
            record[BINARY] += 1
            continue
        _, additions, deletions = patch.line_stats
        if not additions and not deletions:
            continue
        record[ADDITIONS] += additions
        record[DELETIONS] += deletions
        added, deleted = line_bytes(patch.data)
        record[ADDITION_BYTES] += added
        record[DELETION_BYTES] += deleted
    return record


def line_bytes(patch: bytes) -> tuple[int, int]:
    """Bytes of the added and deleted lines of one file's patch, without their newline."""
    start = patch.find(b"\n@@")
    if start < 0:
        return 0, 0
    # Inside hunks every line starts with ' ', '+', '-', '\\' (no newline at end of file) or '@@'.
    added = ADDED_LINE.findall(patch, start + 1)
    deleted = DELETED_LINE.findall(patch, start + 1)
    return sum(map(len, added)) - len(added), sum(map(len, deleted)) - len(deleted)


def mine_commits(repo_path: str, shas: list[str], deadline: float,
                 repo: pygit2.Repository | None = None) -> dict[str, list[Any]]:
    """Records of `shas`, in order, stopping before `deadline` (time.monotonic()) with what is done;
    `repo`: this process's open repository (a forked process opens its own)."""
    repo = repo or pygit2.Repository(repo_path)
    done: dict[str, list[Any]] = {}
    for index, sha in enumerate(shas):
        if index and index % 16 == 0 and time.monotonic() >= deadline:
            break
        try:
            done[sha] = commit_record(repo, sha)
        except READ_ERRORS as error:
            raise RepositoryIncomplete(f"commit {sha}: {error}") from error
    return done
