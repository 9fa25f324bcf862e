"""Open a local repository with pygit2 and read it whole: a missing object is an error, never zeros."""

from __future__ import annotations

import pygit2
from pygit2.enums import SortMode


class RepositoryIncomplete(Exception):
    """The repository cannot be read whole (a missing object, a shallow clone): the run fails."""


class UnknownBranch(Exception):
    """The requested default branch is not a branch of the repository."""


#: What libgit2 answers for a missing or unreadable object (pygit2 maps GIT_ENOTFOUND to KeyError).
READ_ERRORS = (KeyError, pygit2.GitError)

# Blobs are read twice in a walk (as a commit's, then as its child's parent's): let libgit2 keep them.
pygit2.settings.cache_object_limit(pygit2.enums.ObjectType.BLOB, 1 << 20)
pygit2.settings.cache_max_size(128 << 20)
# Read objects as git does (git log, git blame never re-hash what they read; fsck does): libgit2 hashes
# every object it reads by default, which made each read of a large blob cost ~2 ms and 7x a plain
# read, and defeated the object cache above. A missing or undecompressable object still fails the mine.
pygit2.settings.enable_strict_hash_verification(False)


def open_repository(path: str) -> pygit2.Repository:
    try:
        repo = pygit2.Repository(path)
    except READ_ERRORS as error:
        raise RepositoryIncomplete(f"not a readable git repository: {path}: {error}") from error
    if repo.is_shallow:
        raise RepositoryIncomplete(f"{path} is a shallow clone: its history is incomplete")
    return repo


def clone_bare(url: str, path: str) -> str:
    """A bare clone of `url` into `path` (the CLI's; cloud runs fetch through codeapi's checked client)."""
    try:
        pygit2.clone_repository(url, path, bare=True)
    except READ_ERRORS as error:
        raise RepositoryIncomplete(f"cannot clone {url}: {error}") from error
    return path


def branch_refs(repo: pygit2.Repository) -> dict[str, str]:
    """Branch name → reference name: local branches, else the `origin` remote's (a plain clone)."""
    found: dict[str, str] = {}
    for name in sorted(repo.references):
        if name.startswith("refs/heads/"):
            found[name.removeprefix("refs/heads/")] = name
    for name in sorted(repo.references):
        if name.startswith("refs/remotes/origin/") and name != "refs/remotes/origin/HEAD":
            found.setdefault(name.removeprefix("refs/remotes/origin/"), name)
    return found


def resolve_head(repo: pygit2.Repository, default_branch: str | None) -> tuple[str | None, str]:
    """(default branch name or None for a detached HEAD, the sha of its head commit)."""
    if repo.head_is_unborn:
        raise RepositoryIncomplete("the repository has no commits")
    refs = branch_refs(repo)
    if default_branch is None:
        if repo.head_is_detached:
            return None, str(repo.head.target)
        default_branch = repo.head.shorthand
        if default_branch not in refs:  # HEAD names a remote-tracking branch (origin/main)
            default_branch = default_branch.removeprefix("origin/")
    if default_branch not in refs:
        raise UnknownBranch(f"no branch {default_branch!r} (branches: {', '.join(refs) or 'none'})")
    try:
        commit = repo.lookup_reference(refs[default_branch]).peel(pygit2.Commit)
    except READ_ERRORS as error:
        raise RepositoryIncomplete(f"branch {default_branch}: {error}") from error
    return default_branch, str(commit.id)


def commit_order(repo: pygit2.Repository, head: str) -> list[str]:
    """Every commit reachable from `head`, children before parents (a deterministic order)."""
    try:
        return [str(commit.id) for commit in repo.walk(pygit2.Oid(hex=head), SortMode.TOPOLOGICAL)]
    except READ_ERRORS as error:
        raise RepositoryIncomplete(f"walking the history from {head}: {error}") from error


def decode(raw: bytes, encoding: str | None) -> str:
    """A name, email or message as text: the commit's declared encoding, else UTF-8 (bad bytes replaced)."""
    try:
        return raw.decode(encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")
