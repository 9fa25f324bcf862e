"""Recording authenticated requests: usage rows, sessions and per-user daily rollups, each exactly once.

The recorder takes the access log's records of a delivery (`tally.usage.records`), groups them by user
and writes each group in one DynamoDB transaction: a conditional put of each request's usage row
(keyed by the request's time and API Gateway's request id) and one update of each item the group adds
to: the user's day rollups, sessions, API-key session states and lifetime totals. A request recorded
before (a replayed batch, a redelivered log event) fails its put's condition; the transaction is then
retried without it, so nothing is counted twice and the rollups always equal a count of the rows.

Usage units: the read and write units a request's handler reported on its data-access audit row
(`tally.usage.audit`, written before the response, so before the access log line); a request with no
audit row used none that Tally counts.

Sessions: a token's `sid`; API-key requests form sessions per key, a new one after 30 minutes without
a request (`KEY_SESSION_GAP`), whose state is kept per key and updated in the same transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tally.platform.aws import DynamoTable, batch_get_eventually, transact_write
from tally.usage.keys import (
    ROLLUP_RETENTION,
    ROW_RETENTION,
    audit_pk,
    day_pk,
    request_pk,
    row_sk,
    session_pk,
    total_pk,
    user_prefix,
)
from tally.usage.records import RequestRecord

KEY_SESSION_GAP = timedelta(minutes=30)
#: Requests per transaction: DynamoDB takes 100 items, the rest is for the rollups they add to.
CHUNK = 40
_GAP_MS = int(KEY_SESSION_GAP.total_seconds() * 1000)


def key_state_pk(org_id: str, user_id: str) -> str:
    return f"{user_prefix(org_id, user_id)}#K"


@dataclass
class Sum:
    requests: int = 0
    errors: int = 0
    read_units: float = 0.0
    write_units: float = 0.0

    def add(self, error: bool, units: tuple[float, float]) -> None:
        self.requests += 1
        self.errors += int(error)
        self.read_units += units[0]
        self.write_units += units[1]


@dataclass
class SessionSum(Sum):
    kind: str = "token"
    key_id: str | None = None
    first_ms: int = 0
    last_ms: int = 0
    client: str | None = None
    country: str | None = None


@dataclass
class DaySum(Sum):
    parts: dict[str, Sum] = field(default_factory=lambda: defaultdict(Sum))


@dataclass
class KeyState:
    session_id: str
    first_ms: int
    last_ms: int


@dataclass(frozen=True)
class Outcome:
    recorded: int
    duplicates: int
    write_units: float


class UsageRecorder(DynamoTable):
    """Writes the usage of access-log records into the usage table."""

    def record(self, records: Iterable[RequestRecord]) -> Outcome:
        unique = {r.request_id: r for r in records}
        groups: dict[tuple[str, str], list[RequestRecord]] = defaultdict(list)
        for r in sorted(unique.values(), key=lambda r: (r.at_ms, r.request_id)):
            groups[(r.org_id, r.user_id)].append(r)
        units = self._units(list(unique.values()))
        recorded = duplicates = 0
        write_units = 0.0
        for (org_id, user_id), group in groups.items():
            for start in range(0, len(group), CHUNK):
                chunk = group[start:start + CHUNK]
                written, cost = self._record_chunk(org_id, user_id, chunk, units)
                recorded += written
                duplicates += len(chunk) - written
                write_units += cost
        return Outcome(recorded=recorded, duplicates=duplicates, write_units=write_units)

    # -- units from the audit rows -------------------------------------------------------------------

    def _units(self, records: Sequence[RequestRecord]) -> dict[str, tuple[float, float]]:
        keys = [{"pk": {"S": audit_pk(r.org_id, r.user_id)}, "sk": {"S": row_sk(r.at_ms, r.request_id)}}
                for r in records]
        items, _ = batch_get_eventually(self.client, self.table_name, keys) if keys else ([], 0.0)
        found = {}
        for item in items:
            request_id = item["sk"]["S"].partition("#")[2]
            found[request_id] = (float(item.get("read_units", {}).get("N", "0")),
                                 float(item.get("write_units", {}).get("N", "1")))
        return found

    # -- one user's chunk in one transaction ---------------------------------------------------------

    def _record_chunk(self, org_id: str, user_id: str, chunk: list[RequestRecord],
                      units: dict[str, tuple[float, float]]) -> tuple[int, float]:
        pending = list(chunk)
        for _ in range(len(chunk) + 3):
            if not pending:
                return 0, self._settle_first_seen(org_id, user_id, chunk)
            states = self._key_states(org_id, user_id, {r.key_id for r in pending if r.key_id and not r.session_id})
            items = self._items(org_id, user_id, pending, units, states)
            reasons = transact_write(self.client, items)
            if reasons is None:
                cost = 2.0 * sum(_write_units_of(i) for i in items)
                return len(pending), cost + self._settle_first_seen(org_id, user_id, chunk)
            refused = {i for i, reason in enumerate(reasons[:len(pending)]) if reason == "ConditionalCheckFailed"}
            pending = [r for i, r in enumerate(pending) if i not in refused]  # recorded before: never twice
        raise RuntimeError("usage transaction kept being refused")

    def _settle_first_seen(self, org_id: str, user_id: str, chunk: list[RequestRecord]) -> float:
        """Move the lifetime totals' and the token sessions' `first_seen` back to the chunk's earliest request.

        Batches arrive out of order (a retried or re-driven batch lands after later ones), and the
        transaction's `if_not_exists` keeps whichever came first; DynamoDB has no MIN, so a
        conditional update per item lowers it only when this chunk is earlier. It is idempotent, so a
        redelivered chunk (all rows refused as recorded) settles it too, in case the first delivery
        crashed between the transaction and here. Returns the write units spent (a refused condition
        is charged too).
        """
        earliest = {(total_pk(org_id, user_id), "total"): min(r.at_ms for r in chunk)}
        for r in chunk:
            if r.session_id:
                key = (session_pk(org_id, user_id), r.session_id)
                earliest[key] = min(earliest.get(key, r.at_ms), r.at_ms)
        for (pk, sk), first_ms in earliest.items():
            # refused when it is already as early or earlier: the usual case
            with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
                self.client.update_item(
                    TableName=self.table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}},
                    UpdateExpression="SET first_seen = :first", ConditionExpression="first_seen > :first",
                    ExpressionAttributeValues={":first": {"N": str(first_ms)}})
        return float(len(earliest))

    def _key_states(self, org_id: str, user_id: str, key_ids: set[str | None]) -> dict[str, tuple[KeyState, str]]:
        """Each key's current session and the version it was read at (the transaction's condition)."""
        wanted = sorted(k for k in key_ids if k)
        keys = [{"pk": {"S": key_state_pk(org_id, user_id)}, "sk": {"S": k}} for k in wanted]
        states: dict[str, tuple[KeyState, str]] = {}
        for start in range(0, len(keys), 100):
            response = self.client.batch_get_item(RequestItems={self.table_name: {
                "Keys": keys[start:start + 100], "ConsistentRead": True}})
            for item in response.get("Responses", {}).get(self.table_name, []):
                states[item["sk"]["S"]] = (KeyState(item["sid"]["S"], int(item["first"]["N"]),
                                                    int(item["last"]["N"])), item["last"]["N"])
        return states

    def _items(self, org_id: str, user_id: str, pending: list[RequestRecord],
               units: dict[str, tuple[float, float]], states: dict[str, tuple[KeyState, str]]) -> list[dict[str, Any]]:
        table = self.table_name
        rows: list[dict[str, Any]] = []
        days: dict[str, DaySum] = defaultdict(DaySum)
        sessions: dict[str, SessionSum] = {}
        total = Sum()
        first_ms = min(r.at_ms for r in pending)
        current = {k: replace(s) for k, (s, _) in states.items()}  # copies: compared with `states` below
        for r in pending:
            cost = units.get(r.request_id, (0.0, 0.0))
            session_id, kind = _session_of(r, current)
            rows.append({"Put": {"TableName": table, "Item": _row_item(r, session_id, cost),
                                 "ConditionExpression": "attribute_not_exists(pk)"}})
            day = days[r.day]
            day.add(r.error, cost)
            day.parts[f"q.{route_code(r.route)}"].add(r.error, cost)
            if r.key_id:
                day.parts[f"k.{r.key_id}"].add(r.error, cost)
            if session_id:
                day.parts[f"s.{session_id}"].add(r.error, cost)
                s = sessions.setdefault(session_id, SessionSum(kind=kind, key_id=r.key_id, first_ms=r.at_ms,
                                                               last_ms=r.at_ms, client=r.client, country=r.country))
                s.add(r.error, cost)
                s.first_ms, s.last_ms = min(s.first_ms, r.at_ms), max(s.last_ms, r.at_ms)
            total.add(r.error, cost)
        items = rows
        items += [_day_update(table, day_pk(org_id, user_id), d, s) for d, s in sorted(days.items())]
        items += [_session_update(table, session_pk(org_id, user_id), sid, s) for sid, s in sessions.items()]
        for key_id, state in current.items():
            before = states.get(key_id)
            if before is not None and before[0] == state:
                continue
            items.append(_key_state_put(table, key_state_pk(org_id, user_id), key_id, state,
                                        before[1] if before else None))
        items.append(_total_update(table, total_pk(org_id, user_id), total, first_ms, {r.route for r in pending}))
        return items


def _session_of(r: RequestRecord, current: dict[str, KeyState]) -> tuple[str | None, str]:
    """The request's session: its token's `sid`, or its API key's session (a new one after the gap)."""
    if r.session_id:
        return r.session_id, "token"
    if not r.key_id:
        return None, "token"
    state = current.get(r.key_id)
    if state is not None and state.first_ms - _GAP_MS < r.at_ms < state.last_ms + _GAP_MS:
        state.first_ms, state.last_ms = min(state.first_ms, r.at_ms), max(state.last_ms, r.at_ms)
        return state.session_id, "key"
    session_id = f"key.{r.key_id}.{r.at_ms}"
    if state is None or r.at_ms > state.last_ms:
        current[r.key_id] = KeyState(session_id, r.at_ms, r.at_ms)
    return session_id, "key"


def _expires(at_ms: int, keep: timedelta) -> dict[str, str]:
    return {"N": str(at_ms // 1000 + int(keep.total_seconds()))}


def _row_item(r: RequestRecord, session_id: str | None, cost: tuple[float, float]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": request_pk(r.org_id, r.user_id)}, "sk": {"S": row_sk(r.at_ms, r.request_id)},
        "route": {"S": r.route}, "status": {"N": str(r.status)}, "latency_ms": {"N": str(r.latency_ms)},
        "read_units": {"N": _num(cost[0])}, "write_units": {"N": _num(cost[1])},
        "expires_at": _expires(r.at_ms, ROW_RETENTION),
    }
    for name, value in (("session_id", session_id), ("key_id", r.key_id)):
        if value:
            item[name] = {"S": value}
    return item


def _num(value: float) -> str:
    return f"{round(value, 4):g}" if value else "0"


#: Short attribute names of a day item's parts: `<metric letter>.<part>` (the item stays small, so reading
#: a day costs about the same however many requests it had).
METRIC_LETTERS = {"requests": "r", "errors": "e", "read_units": "u", "write_units": "w"}


def route_code(route: str) -> str:
    """A route's short name in day items; the user's totals item maps it back (`n.<code>`)."""
    return hashlib.blake2b(route.encode(), digest_size=4).hexdigest()


def _adds(s: Sum, names: dict[str, str], values: dict[str, Any], n: int, part: str | None = None) -> list[str]:
    """`ADD` clauses for one Sum: the metric's name, or `<letter>.<part>` for a part of a day."""
    clauses = []
    for m, (metric, value) in enumerate((("requests", s.requests), ("errors", s.errors),
                                         ("read_units", s.read_units), ("write_units", s.write_units))):
        if part is not None and not value:
            continue  # a part's missing metric reads as 0
        names[f"#a{n}_{m}"] = metric if part is None else f"{METRIC_LETTERS[metric]}.{part}"
        values[f":a{n}_{m}"] = {"N": _num(float(value))}
        clauses.append(f"#a{n}_{m} :a{n}_{m}")
    return clauses


def _day_update(table: str, pk: str, day: str, s: DaySum) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    clauses = _adds(s, names, values, 0)
    for n, (part, sums) in enumerate(sorted(s.parts.items()), start=1):
        clauses += _adds(sums, names, values, n, part)
    end_ms = int((datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)).timestamp() * 1000)
    values[":exp"] = _expires(end_ms, ROLLUP_RETENTION)
    return {"Update": {"TableName": table, "Key": {"pk": {"S": pk}, "sk": {"S": day}},
                       "UpdateExpression": f"ADD {', '.join(clauses)} SET expires_at = :exp",
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}


def _session_update(table: str, pk: str, session_id: str, s: SessionSum) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {":first": {"N": str(s.first_ms)}, ":last": {"N": str(s.last_ms)},
                              ":ls": {"S": f"{s.last_ms:013d}"}, ":kind": {"S": s.kind},
                              ":exp": _expires(s.last_ms, ROW_RETENTION)}
    sets = ["first_seen = if_not_exists(first_seen, :first)", "last_seen = :last", "ls = :ls", "kind = :kind",
            "expires_at = :exp"]
    for name, value in (("key_id", s.key_id), ("client", s.client), ("country", s.country)):
        if value:
            values[f":{name}"] = {"S": value}
            sets.append(f"{name} = if_not_exists({name}, :{name})")
    clauses = _adds(s, names, values, 0)
    return {"Update": {"TableName": table, "Key": {"pk": {"S": pk}, "sk": {"S": session_id}},
                       "UpdateExpression": f"SET {', '.join(sets)} ADD {', '.join(clauses)}",
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}


def _key_state_put(table: str, pk: str, key_id: str, state: KeyState, version: str | None) -> dict[str, Any]:
    put: dict[str, Any] = {"TableName": table, "Item": {
        "pk": {"S": pk}, "sk": {"S": key_id}, "sid": {"S": state.session_id}, "first": {"N": str(state.first_ms)},
        "last": {"N": str(state.last_ms)}, "expires_at": _expires(state.last_ms, ROW_RETENTION)}}
    if version is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:  # another recorder moved the key's session on: read it again
        put["ConditionExpression"] = "#last = :seen"
        put["ExpressionAttributeNames"] = {"#last": "last"}
        put["ExpressionAttributeValues"] = {":seen": {"N": version}}
    return {"Put": put}


def _total_update(table: str, pk: str, s: Sum, first_ms: int, routes: set[str]) -> dict[str, Any]:
    """Lifetime totals, and the names of the routes the user's day items call by their codes."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {":first": {"N": str(first_ms)}}
    sets = ["first_seen = if_not_exists(first_seen, :first)"]
    for n, route in enumerate(sorted(routes)):
        names[f"#n{n}"] = f"n.{route_code(route)}"
        values[f":n{n}"] = {"S": route}
        sets.append(f"#n{n} = :n{n}")
    clauses = _adds(s, names, values, 0)
    return {"Update": {"TableName": table, "Key": {"pk": {"S": pk}, "sk": {"S": "total"}},
                       "UpdateExpression": f"SET {', '.join(sets)} ADD {', '.join(clauses)}",
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}


def _write_units_of(entry: dict[str, Any]) -> float:
    """Write units of one transaction item by DynamoDB's sizing (1 per KB; a transaction charges twice)."""
    from tally.platform.capacity import attribute_size

    operation = entry.get("Put") or entry.get("Update") or {}
    item = operation.get("Item") or {**operation.get("Key", {}),
                                     **{n: {"S": "x" * 8} for n in operation.get("ExpressionAttributeNames", {})}}
    size = sum(len(k.encode()) + attribute_size(v) for k, v in item.items())
    return float(max(1, -(-size // 1024)))
