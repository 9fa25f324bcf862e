"""Daily salts: one random key per UTC day, created exactly once, kept 48 hours.

The salt of a day is created by a conditional put (`attribute_not_exists`), whoever comes first —
the rotation job at 00:00 UTC or, when that job has not run, the first ingest of the day — and
every other writer reads the winner's salt, so there is one salt per day under retries and
concurrency. Today's and yesterday's salts are kept: yesterday's lets a visit crossing midnight
keep its visitor. Older salts are deleted by the rotation job, with DynamoDB's TTL as a backstop;
once deleted, no id of that day can be recomputed from an IP and User-Agent.

Each container keeps the pair it read in memory until the UTC day changes.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, Protocol

SALT_BYTES = 32
#: A salt lives for its own day and the next one; then it is deleted (48 hours after its day began).
LIFETIME = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class DailySalt:
    day: date
    key: bytes = field(repr=False)

    @property
    def expires_at(self) -> datetime:
        return datetime.combine(self.day, time(0), tzinfo=UTC) + LIFETIME


class SaltPair(NamedTuple):
    current: DailySalt
    previous: DailySalt | None


@dataclass(frozen=True, slots=True)
class Rotation:
    """What one run of the rotation did."""

    day: date
    created: bool
    deleted: tuple[date, ...]

    def as_dict(self) -> dict[str, object]:
        return {"day": self.day.isoformat(), "created": self.created,
                "deleted": [d.isoformat() for d in self.deleted]}


class SaltTable(Protocol):
    """Where salts live (DynamoDB in production, a dict in unit tests)."""

    def read(self, days: Sequence[date]) -> dict[date, bytes]:
        """The stored salts of these days (strongly consistent), missing days left out."""
        ...

    def create(self, salt: DailySalt) -> bool:
        """Store the salt unless its day already has one; True when this call stored it."""
        ...

    def days_before(self, day: date) -> list[date]:
        """Every stored day earlier than `day`."""
        ...

    def delete(self, day: date) -> None:
        """Forget the salt of a day (no error when there is none)."""
        ...


def utc_day(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC).date()


class SaltStore:
    """Today's and yesterday's salts, created on demand, rotated by the scheduled job."""

    def __init__(self, table: SaltTable, *, random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> None:
        self._table = table
        self._random_bytes = random_bytes
        self._lock = threading.Lock()
        self._cached: SaltPair | None = None

    def current_and_previous(self, now: datetime) -> SaltPair:
        """The salts of `now`'s UTC day and the day before (None if that one is gone or never was)."""
        day = utc_day(now)
        cached = self._cached
        if cached is not None and cached.current.day == day:
            return cached
        with self._lock:
            if self._cached is None or self._cached.current.day != day:
                self._cached = self._load(day)
            return self._cached

    def rotate(self, now: datetime) -> Rotation:
        """Ensure `now`'s day has its salt and delete salts older than yesterday. Safe to run twice."""
        day = utc_day(now)
        created = self._table.create(DailySalt(day, self._random_bytes(SALT_BYTES)))
        stale = tuple(sorted(d for d in self._table.days_before(day - timedelta(days=1))))
        for old in stale:
            self._table.delete(old)
        with self._lock:
            self._cached = None
        return Rotation(day=day, created=created, deleted=stale)

    def _load(self, day: date) -> SaltPair:
        yesterday = day - timedelta(days=1)
        stored = self._table.read([yesterday, day])
        if day not in stored:
            self._table.create(DailySalt(day, self._random_bytes(SALT_BYTES)))
            stored.update(self._table.read([day]))  # ours, or the one a concurrent writer stored first
        if day not in stored:
            raise RuntimeError(f"the salt of {day} could not be created or read")
        previous = DailySalt(yesterday, stored[yesterday]) if yesterday in stored else None
        return SaltPair(DailySalt(day, stored[day]), previous)
