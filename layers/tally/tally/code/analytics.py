"""The seven reads of code analytics: org summary and codebases list (over the codebases the caller
may see), and one codebase's overview, activity, ownership, branches and status.

Contributor emails are only in `ownership` (served to that codebase's admins and org admins);
the org-level answers carry display names and salted identity hashes. Long lists (contributors,
branches) are served in pages with an opaque cursor tied to the export they came from.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from tally.code.access import codebase_for, visible_codebases
from tally.code.exports import STATUS, ExportStore, codebase_key, org_key
from tally.code.model import Codebase
from tally.code.orgfiles import CODEBASES_LIST, ORG_SUMMARY, summarise
from tally.code.store import DynamoCodeStore
from tally.platform.caller import Caller
from tally.platform.errors import InvalidInput, NotFound

DEFAULT_PAGE = 50
MAX_PAGE = 200
NOT_MINED = "The codebase has not been mined yet."
_CURSOR = "c1."

Document = dict[str, Any]


def summary(store: DynamoCodeStore, exports: ExportStore, caller: Caller) -> Document:
    visible = visible_codebases(store, caller)
    document = exports.document(org_key(caller.org_id, ORG_SUMMARY))
    return {"org_id": caller.org_id, "scope": "org" if _is_org_admin(caller) else "administered",
            **summarise(document, (c.codebase_id for c in visible))}


def codebases(store: DynamoCodeStore, exports: ExportStore, caller: Caller) -> Document:
    visible = visible_codebases(store, caller)
    rows = (exports.document(org_key(caller.org_id, CODEBASES_LIST)) or {}).get("codebases", {})
    listed = []
    for codebase in visible:
        row = rows.get(codebase.codebase_id, {})
        listed.append({"codebase_id": codebase.codebase_id, "name": codebase.name, "url": codebase.url,
                       "state": codebase.run.state.value if codebase.run else None,
                       "mined_at": codebase.mined_at.isoformat() if codebase.mined_at else None,
                       **{f: row.get(f) for f in ("head_sha", "default_branch", "total_commits",
                                                  "total_contributors", "total_churn", "primary_language")}})
    return {"org_id": caller.org_id, "codebases": listed}


def export(store: DynamoCodeStore, exports: ExportStore, caller: Caller, codebase_id: str, name: str,
           seen: Callable[[Codebase], None] | None = None) -> Document:
    """overview, activity or status of a codebase the caller administers (`seen` is told which)."""
    codebase = codebase_for(store, caller, codebase_id)
    if seen is not None:
        seen(codebase)
    document = exports.document(codebase_key(caller.org_id, codebase_id, name))
    if document is None:
        raise NotFound(NOT_MINED if name != STATUS else "The codebase has never been mined.")
    return dict(document)


def paged(store: DynamoCodeStore, exports: ExportStore, caller: Caller, codebase_id: str, name: str,
          list_field: str, cursor: str | None, limit: int, seen: Callable[[Codebase], None] | None = None) -> Document:
    """ownership (contributors) or branches (branches), one page of the list at a time."""
    document = export(store, exports, caller, codebase_id, name, seen)
    version = str(document.get("head_sha") or document.get("mined_at") or "")[:12]
    start = decode_cursor(cursor, version) if cursor else 0
    rows = list(document.get(list_field) or [])
    page = rows[start:start + limit]
    end = start + len(page)
    return {**document, list_field: page, f"total_{list_field}": len(rows),
            "next_cursor": encode_cursor(end, version) if end < len(rows) else None}


def encode_cursor(offset: int, version: str) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR}{offset}.{version}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, version: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        offset_text, _, made_for = text.removeprefix(_CURSOR).partition(".")
        offset = int(offset_text)
        valid = text.startswith(_CURSOR) and offset >= 0 and made_for == version
    except (binascii.Error, UnicodeDecodeError, ValueError):
        valid = False
    if not valid:
        raise InvalidInput("cursor is not one this API returned for the current export",
                           details=[{"field": "cursor", "rule": "must be a next_cursor from a previous page "
                                                                "of the same export", "type": "cursor_invalid"}])
    return offset


def _is_org_admin(caller: Caller) -> bool:
    from tally.platform.caller import Role

    return caller.has(Role.org_admin)
