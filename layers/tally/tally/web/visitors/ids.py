"""An event's visitor ids under today's salt and under yesterday's.

Aggregation keys a visit by the current id; when a visitor's last event was before midnight UTC,
their earlier events carry yesterday's salt, and the `previous` id — the same person hashed with
yesterday's salt — lets the visit continue on one visitor, as Plausible does.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol

from tally.web.visitors.salts import SaltPair
from tally.web.visitors.visitor_id import visitor_id


class SaltSource(Protocol):
    def current_and_previous(self, now: datetime) -> SaltPair: ...


class VisitorPair(NamedTuple):
    current: str
    previous: str | None


class VisitorIds:
    def __init__(self, salts: SaltSource) -> None:
        self._salts = salts

    def for_event(self, site_id: str, ip: str | None, user_agent: str | None, now: datetime) -> VisitorPair:
        """Ids of one event received at `now` (the server's clock, never a client's timestamp)."""
        pair = self._salts.current_and_previous(now)
        current = visitor_id(pair.current.key, site_id, ip, user_agent)
        previous = visitor_id(pair.previous.key, site_id, ip, user_agent) if pair.previous else None
        return VisitorPair(current, previous)
