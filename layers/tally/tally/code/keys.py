"""Keys of the code table's items (see `items`): codebases and grants under their org."""

from __future__ import annotations

CODEBASE = "CODEBASE#"
ADMIN = "ADMIN#"


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def codebase_sk(codebase_id: str) -> str:
    return f"{CODEBASE}{codebase_id}"


def grant_sk(user_id: str, codebase_id: str) -> str:
    return f"{ADMIN}{user_id}#{codebase_id}"
