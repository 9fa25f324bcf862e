"""Where the usage table keeps a user's rows: every key starts with the caller's org and user.

- `u#<org>#<user>#A` / `<ms>#<request id>`: data-access audit rows (90 days)
- `u#<org>#<user>#R` / `<ms>#<request id>`: usage rows, one per authenticated request (90 days)
- `u#<org>#<user>#D` / `<YYYY-MM-DD>`: the user's daily rollup (13 months)
- `u#<org>#<user>#S` / `<session id>`: the user's sessions (90 days after their last request)
- `u#<org>#<user>#T` / `total`: the user's lifetime totals (kept while the user is)
- `g#<request id>` / `g`: the recorder's guard: a request counted into the rollups (90 days)
"""

from __future__ import annotations

from datetime import timedelta

#: Audit and usage rows, and sessions, expire this long after their request (DynamoDB TTL).
ROW_RETENTION = timedelta(days=90)
#: Daily rollups expire this long after their day (about 13 months).
ROLLUP_RETENTION = timedelta(days=396)


def user_prefix(org_id: str, user_id: str) -> str:
    return f"u#{org_id}#{user_id}"


def audit_pk(org_id: str, user_id: str) -> str:
    return f"{user_prefix(org_id, user_id)}#A"


def request_pk(org_id: str, user_id: str) -> str:
    return f"{user_prefix(org_id, user_id)}#R"


def day_pk(org_id: str, user_id: str) -> str:
    return f"{user_prefix(org_id, user_id)}#D"


def session_pk(org_id: str, user_id: str) -> str:
    return f"{user_prefix(org_id, user_id)}#S"


def total_pk(org_id: str, user_id: str) -> str:
    return f"{user_prefix(org_id, user_id)}#T"


def row_sk(at_ms: int, request_id: str) -> str:
    """Time-ordered and unique: newest first is a reverse query, (timestamp, id) the cursor."""
    return f"{at_ms:013d}#{request_id}"


def guard_pk(request_id: str) -> str:
    return f"g#{request_id}"
