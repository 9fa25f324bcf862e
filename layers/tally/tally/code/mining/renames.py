"""Where git blame looks for a file that a parent lacks: the deleted file it was renamed from.

git's rename detection for `git blame` (diffcore-rename, following one path): an exact rename (same
blob) first; then a deleted file with the same name in another directory scoring at least 75 %;
else the deleted file with the highest score of at least 50 %. The score is git's: files cut into
spans (a line, or 64 bytes), `copied` the bytes of spans both share, score = copied / larger size.
libgit2's own similarity metric differs, so this follows git's arithmetic (diffcore-delta.c).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from posixpath import basename

import pygit2
from pygit2.enums import DeltaStatus, FileMode

MAX_SCORE = 60_000
MINIMUM_SCORE = MAX_SCORE // 2  # -M's default, 50 %
BASENAME_SCORE = MINIMUM_SCORE + (MAX_SCORE - MINIMUM_SCORE) // 2  # 75 %
HASHBASE = 107_927
MASK = 0xFFFFFFFF


Deleted = list[tuple[str, pygit2.Oid, int]]


def deleted_files(parent_tree: pygit2.Tree, tree: pygit2.Tree) -> Deleted:
    """(path, blob id, mode) of the files `tree` no longer has: the rename sources."""
    return deleted_in(parent_tree.diff_to_tree(tree).deltas)


def deleted_in(deltas: Iterable[pygit2.DiffDelta]) -> Deleted:
    """The deleted files of a tree diff's deltas (a caller that has the diff already)."""
    return [(delta.old_file.path, delta.old_file.id, delta.old_file.mode)
            for delta in deltas if delta.status == DeltaStatus.DELETED]


def rename_source(repo: pygit2.Repository, deleted: Deleted, tree: pygit2.Tree, path: str) -> str | None:
    """The deleted path that `path` (new in `tree`) was renamed from, or None."""
    if not deleted:
        return None
    entry = tree[path]
    identical = [name for name, oid, _ in deleted if oid == entry.id]
    if identical:
        same_name = [name for name in identical if basename(name) == basename(path)]
        return (same_name or identical)[0]
    if entry.filemode not in (FileMode.BLOB, FileMode.BLOB_EXECUTABLE):
        return None
    target = repo[entry.id].read_raw()
    regular = [(name, oid) for name, oid, mode in deleted if mode in (FileMode.BLOB, FileMode.BLOB_EXECUTABLE)]
    namesakes = [(name, oid) for name, oid in regular if basename(name) == basename(path)]
    if len(namesakes) == 1 and score(repo[namesakes[0][1]].read_raw(), target) >= BASENAME_SCORE:
        return namesakes[0][0]
    best: tuple[int, int, str] | None = None
    for name, oid in regular:
        value = score(repo[oid].read_raw(), target)
        if value >= MINIMUM_SCORE:
            candidate = (-value, 0 if basename(name) == basename(path) else 1, name)
            best = candidate if best is None or candidate < best else best
    return best[2] if best else None


def score(source: bytes, target: bytes) -> int:
    """git's estimate_similarity (0 .. 60000)."""
    larger, smaller = max(len(source), len(target)), min(len(source), len(target))
    if not larger or larger * (MAX_SCORE - MINIMUM_SCORE) < (larger - smaller) * MAX_SCORE:
        return 0
    source_spans, target_spans = spans(source), spans(target)
    copied = sum(min(count, target_spans[key]) for key, count in source_spans.items() if key in target_spans)
    return copied * MAX_SCORE // larger


@lru_cache(maxsize=512)
def spans(data: bytes) -> Counter[int]:
    """Bytes per span hash: spans end at a newline or after 64 bytes; a CR before LF is skipped in text."""
    text = b"\0" not in data[:8000]
    counts: Counter[int] = Counter()
    accum1 = accum2 = 0
    n = 0
    size = len(data)
    for index, byte in enumerate(data):
        if text and byte == 13 and index + 1 < size and data[index + 1] == 10:
            continue
        old = accum1
        accum1 = (((accum1 << 7) ^ (accum2 >> 25)) + byte) & MASK
        accum2 = ((accum2 << 7) ^ (old >> 25)) & MASK
        n += 1
        if n < 64 and byte != 10:
            continue
        counts[((accum1 + accum2 * 0x61) & MASK) % HASHBASE] += n
        n = accum1 = accum2 = 0
    if n:
        counts[((accum1 + accum2 * 0x61) & MASK) % HASHBASE] += n
    return counts
