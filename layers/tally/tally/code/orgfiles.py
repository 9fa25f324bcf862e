"""The org files: `codebases_list.json` (one row per codebase) and `org_summary.json` (each
codebase's totals and contributors, by display name and salted identity hash: never an email).

Both are shared by every run of the org, so they are read-modify-written with S3 conditional
writes (`ExportStore.write_if`): a writer that lost the race reads again and reapplies its change,
so concurrent runs lose no update. Each file holds its rows by codebase id, so a change is
"set (or remove) this codebase's row", which is safe to reapply.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from tally.code.exports import ExportStore, org_key
from tally.platform.errors import ServiceUnavailable

CODEBASES_LIST = "codebases_list"
ORG_SUMMARY = "org_summary"
MAX_ATTEMPTS = 30
#: Contributors kept per codebase in the org summary (the top ones by commits).
SUMMARY_CONTRIBUTORS = 50

Document = dict[str, Any]


def identity_hash(salt: str, identity: str) -> str:
    """A stable, salted stand-in for a contributor's identity (their joined email or name)."""
    return hashlib.sha256(f"{salt}\x00{identity.strip().lower()}".encode()).hexdigest()[:20]


def update(store: ExportStore, org_id: str, name: str, change: Callable[[Document], Document], *,
           attempts: int = MAX_ATTEMPTS, sleep: Callable[[float], None] = time.sleep) -> Document:
    """Apply `change` to the org file `name` without losing a concurrent writer's update."""
    key = org_key(org_id, name)
    for attempt in range(attempts):
        found = store.read(key)
        current, etag = found if found else ({"org_id": org_id, "codebases": {}}, None)
        changed = change(current)
        if store.write_if(key, changed, etag):
            return changed
        sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))
    raise ServiceUnavailable(f"{name} kept changing under concurrent writers", retry_after_s=5)


def set_codebase(store: ExportStore, org_id: str, codebase_id: str, row: Document, summary: Document | None,
                 **kwargs: Any) -> None:
    """Put the codebase's row in the list, and (when given) its piece of the summary."""

    def put_row(document: Document, value: Document) -> Document:
        return {**document, "codebases": {**document.get("codebases", {}), codebase_id: value}}

    update(store, org_id, CODEBASES_LIST, lambda doc: put_row(doc, row), **kwargs)
    if summary is not None:
        update(store, org_id, ORG_SUMMARY, lambda doc: put_row(doc, summary), **kwargs)


def remove_codebase(store: ExportStore, org_id: str, codebase_id: str, **kwargs: Any) -> None:
    def drop(document: Document) -> Document:
        return {**document, "codebases": {k: v for k, v in document.get("codebases", {}).items()
                                          if k != codebase_id}}

    for name in (CODEBASES_LIST, ORG_SUMMARY):
        update(store, org_id, name, drop, **kwargs)


def list_row(name: str, overview: Document) -> Document:
    """A codebase's row in codebases_list.json."""
    return {"name": name, **{f: overview.get(f) for f in (
        "head_sha", "default_branch", "mined_at", "total_commits", "total_contributors", "total_churn",
        "primary_language")}}


def summary_piece(overview: Document, ownership: Document, salt: str) -> Document:
    """A codebase's part of the org summary: its totals, and contributors without their emails."""
    contributors = sorted(ownership.get("contributors", []), key=lambda c: -int(c.get("commits", 0)))
    return {
        "totals": {field: overview.get(field, 0) for field in
                   ("total_commits", "merge_commits", "total_additions", "total_deletions", "total_churn",
                    "total_lines", "total_files", "total_contributors")},
        "languages": dict(overview.get("languages") or {}),
        "contributors": [{"name": str(c.get("name", "")),
                          "identity_hash": identity_hash(salt, str(c.get("email") or c.get("name") or "")),
                          "bot": bool(c.get("bot", False)),
                          **{f: int(c.get(f, 0) or 0) for f in ("commits", "additions", "deletions",
                                                                 "surviving_lines")}}
                         for c in contributors[:SUMMARY_CONTRIBUTORS]],
    }


def summarise(summary: Document | None, codebase_ids: Iterable[str], *, top: int = 20) -> Document:
    """The org summary over `codebase_ids` (those the caller may see): totals summed, contributors
    joined by identity hash across codebases, languages in bytes."""
    pieces = (summary or {}).get("codebases", {})
    chosen = [pieces[c] for c in sorted(set(codebase_ids)) if c in pieces]
    totals: dict[str, int] = {}
    languages: dict[str, int] = {}
    people: dict[str, Document] = {}
    for piece in chosen:
        for field, value in piece.get("totals", {}).items():
            totals[field] = totals.get(field, 0) + int(value or 0)
        for language, size in piece.get("languages", {}).items():
            languages[language] = languages.get(language, 0) + int(size)
        for person in piece.get("contributors", []):
            joined = people.setdefault(person["identity_hash"], {
                "name": person["name"], "identity_hash": person["identity_hash"], "bot": person.get("bot", False),
                "commits": 0, "additions": 0, "deletions": 0, "surviving_lines": 0, "codebases": 0})
            for field in ("commits", "additions", "deletions", "surviving_lines"):
                joined[field] += int(person.get(field, 0))
            joined["codebases"] += 1
    ranked = sorted(people.values(), key=lambda p: (-p["commits"], p["name"]))
    return {"codebases": len(chosen), **{f: totals.get(f, 0) for f in (
        "total_commits", "merge_commits", "total_additions", "total_deletions", "total_churn", "total_lines",
        "total_files")},
        "total_contributors": len(people),
        "languages": dict(sorted(languages.items(), key=lambda kv: -kv[1])),
        "top_contributors": ranked[:top]}
