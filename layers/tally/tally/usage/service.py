"""The caller's own usage: sessions (and revoking one), the usage tab's figures, the data-access rows.

Every function takes the `Caller` (built from the authorizer's context) and reads only its partitions:
the user id is never a parameter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from tally.platform.caller import Caller
from tally.platform.errors import Conflict, NotFound
from tally.usage.cursor import decode_cursor, encode_cursor
from tally.usage.models import (
    AuditRow,
    Day,
    EndpointUsage,
    KeyUsage,
    QueriesPage,
    ResourceOut,
    Session,
    SessionKind,
    SessionsPage,
    SessionUsage,
    Totals,
    Usage,
)
from tally.usage.reads import UsageReader
from tally.usage.recorder import KEY_SESSION_GAP, METRIC_LETTERS

TOP_SESSIONS = 10
_METRICS = ("requests", "errors", "read_units", "write_units")
_LETTERS = {letter: metric for metric, letter in METRIC_LETTERS.items()}


class Revocations(Protocol):
    def revoke(self, org_id: str, user_id: str, session_id: str, *, until: datetime) -> None: ...


def _num(item: Mapping[str, Any], name: str) -> float:
    value = item.get(name)
    return float(value["N"]) if value else 0.0


def _units(item: Mapping[str, Any], suffix: str = "") -> dict[str, Any]:
    return {"requests": int(_num(item, f"requests{suffix}")), "errors": int(_num(item, f"errors{suffix}")),
            "read_units": round(_num(item, f"read_units{suffix}"), 2),
            "write_units": round(_num(item, f"write_units{suffix}"), 2)}


def _moment(item: Mapping[str, Any], name: str) -> datetime | None:
    value = item.get(name)
    return datetime.fromtimestamp(int(value["N"]) / 1000, UTC) if value else None


def _text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return str(value["S"]) if value else None


# -- sessions ------------------------------------------------------------------------------------------


def list_sessions(reader: UsageReader, caller: Caller, *, limit: int, cursor: str | None,
                  now: datetime | None = None) -> SessionsPage:
    after = decode_cursor("s", cursor) if cursor else None
    items, more = reader.sessions(caller.org_id, caller.user_id, limit, after)
    moment = now or datetime.now(UTC)
    key_current_seen = False
    sessions = []
    for item in items:
        kind = SessionKind(_text(item, "kind") or "token")
        last_seen = _moment(item, "last_seen") or moment
        key_id = _text(item, "key_id")
        current = item["sk"]["S"] == caller.session_id if caller.session_id else False
        if kind is SessionKind.key and caller.key_id and key_id == caller.key_id and not key_current_seen \
                and moment - last_seen < KEY_SESSION_GAP:
            current = key_current_seen = True  # the key's newest session, still open
        sessions.append(Session(id=item["sk"]["S"], kind=kind, key_id=key_id,
                                first_seen=_moment(item, "first_seen") or last_seen, last_seen=last_seen,
                                client=_text(item, "client"), country=_text(item, "country"), current=current,
                                **_units(item)))
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = encode_cursor("s", int(last["ls"]["S"]), last["sk"]["S"])
    return SessionsPage(sessions=sessions, next_cursor=next_cursor)


def revoke_session(reader: UsageReader, revocations: Revocations, caller: Caller, session_id: str,
                   now: datetime | None = None) -> None:
    """Revoke one of the caller's other token sessions: its token answers 401 from then on. Another
    user's session, a key session or an unknown id answers 404; the session asking, 409 (sign out)."""
    if session_id == caller.session_id:
        raise Conflict("this is the session making the request: sign out to end it")
    item = reader.session(caller.org_id, caller.user_id, session_id)
    if item is None:
        raise NotFound(f"no session {session_id}")
    if item is not None and _text(item, "kind") != SessionKind.token.value:
        raise NotFound(f"no token session {session_id}: revoke the API key instead")
    revocations.revoke(caller.org_id, caller.user_id, session_id,
                       until=(now or datetime.now(UTC)) + timedelta(days=30))


# -- usage ---------------------------------------------------------------------------------------------


def usage(reader: UsageReader, caller: Caller, days: int, today: date | None = None) -> Usage:
    """The last `days` UTC days from the daily rollups (cost grows with days, never with requests)."""
    last = today or datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    by_day: dict[str, dict[str, Any]] = {}
    parts: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(_METRICS, 0.0))
    for item in reader.days(caller.org_id, caller.user_id, first.isoformat(), last.isoformat()):
        by_day[item["sk"]["S"]] = _units(item)
        for name, value in item.items():
            letter, dot, part = name.partition(".")
            if dot and letter in _LETTERS:
                parts[part][_LETTERS[letter]] += float(value["N"])
    daily = [Day(date=(first + timedelta(days=n)).isoformat(),
                 **by_day.get((first + timedelta(days=n)).isoformat(), {})) for n in range(days)]

    def of(prefix: str) -> list[tuple[str, dict[str, Any]]]:
        found = [(part.removeprefix(prefix), _rounded(sums)) for part, sums in parts.items() if part.startswith(prefix)]
        return sorted(found, key=lambda kv: (-kv[1]["requests"], kv[0]))

    total = reader.total(caller.org_id, caller.user_id) or {}
    endpoints = [EndpointUsage(route=_text(total, f"n.{code}") or code, **sums) for code, sums in of("q.")]
    keys = [KeyUsage(key_id=key_id, **sums) for key_id, sums in of("k.")]
    top = of("s.")[:TOP_SESSIONS]
    details = reader.sessions_by_id(caller.org_id, caller.user_id, [sid for sid, _ in top]) if top else {}
    top_sessions = [SessionUsage(id=sid, kind=SessionKind(_text(details.get(sid, {}), "kind") or "token"),
                                 first_seen=_moment(details.get(sid, {}), "first_seen"),
                                 last_seen=_moment(details.get(sid, {}), "last_seen"), **sums) for sid, sums in top]
    return Usage(days=days, daily=daily, by_endpoint=endpoints, by_api_key=keys, top_sessions=top_sessions,
                 totals=Totals(first_seen=_moment(total, "first_seen"), **_units(total)))


def _rounded(sums: dict[str, float]) -> dict[str, Any]:
    return {"requests": int(sums["requests"]), "errors": int(sums["errors"]),
            "read_units": round(sums["read_units"], 2), "write_units": round(sums["write_units"], 2)}


# -- data access ---------------------------------------------------------------------------------------


def list_queries(reader: UsageReader, caller: Caller, *, limit: int, cursor: str | None,
                 action: str | None) -> QueriesPage:
    after = decode_cursor("q", cursor) if cursor else None
    entries, next_at = reader.audit(caller.org_id, caller.user_id, limit, after, action or None)
    rows = []
    for entry in entries:
        row = entry.as_row()
        rows.append(AuditRow(**{**row, "resource": ResourceOut(**row["resource"])}))
    return QueriesPage(rows=rows, next_cursor=encode_cursor("q", *next_at) if next_at else None)

