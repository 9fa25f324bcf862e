"""Revoked token sessions: the authorizer refuses a JWT whose `sid` its user revoked.

A revocation is one item in the identity table, `pk = revoked#<org>#<user>#<sid>`, so a user can only
ever revoke their own sessions (the key names them) and the check is one strongly consistent read.
It is on the path of every token request, so it uses the low-level client, and its answers are kept
for `revocation_cache_s` seconds per session (the stated bound: a revoked token is refused at most
that long after its revocation; API Gateway's own authorizer result cache stays off).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tally.auth.identity import Identity
from tally.platform.aws import DynamoTable

SK = "revoked"


def revocation_pk(org_id: str, user_id: str, session_id: str) -> str:
    return f"revoked#{org_id}#{user_id}#{session_id}"


class DynamoRevocations(DynamoTable):
    def revoke(self, org_id: str, user_id: str, session_id: str, *, until: datetime) -> None:
        self.client.put_item(TableName=self.table_name, Item={
            "pk": {"S": revocation_pk(org_id, user_id, session_id)}, "sk": {"S": SK},
            "revoked_at": {"S": datetime.now(until.tzinfo).isoformat()}, "until": {"N": str(int(until.timestamp()))}})

    def is_revoked(self, org_id: str, user_id: str, session_id: str) -> bool:
        response = self.client.get_item(TableName=self.table_name, ConsistentRead=True, ProjectionExpression="pk",
                                        Key={"pk": {"S": revocation_pk(org_id, user_id, session_id)},
                                             "sk": {"S": SK}})
        return "Item" in response


class RevocationCheck:
    """`is_revoked` answers, each kept for `cache_s` seconds (0: every request reads the table)."""

    def __init__(self, store: Any, cache_s: float = 10, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10_000) -> None:
        self.store = store
        self.cache_s = cache_s
        self.clock = clock
        self.max_entries = max_entries
        self._cache: dict[tuple[str, str, str], tuple[float, bool]] = {}

    def revoked(self, identity: Identity) -> bool:
        if not identity.session_id:
            return False
        key = (identity.org_id, identity.user_id, identity.session_id)
        now = self.clock()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        answer = bool(self.store.is_revoked(*key))
        if len(self._cache) >= self.max_entries:
            self._cache.clear()
        self._cache[key] = (now + self.cache_s, answer)
        return answer
