"""An in-memory SaltTable with DynamoDB's semantics (conditional create, idempotent delete)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date

from tally.web.visitors.salts import DailySalt


class MemorySaltTable:
    def __init__(self) -> None:
        self.salts: dict[date, bytes] = {}
        self.reads = 0
        self.creates = 0
        self._lock = threading.Lock()

    def read(self, days: Sequence[date]) -> dict[date, bytes]:
        self.reads += 1
        return {day: self.salts[day] for day in days if day in self.salts}

    def create(self, salt: DailySalt) -> bool:
        with self._lock:
            self.creates += 1
            if salt.day in self.salts:
                return False
            self.salts[salt.day] = salt.key
            return True

    def days_before(self, day: date) -> list[date]:
        return [d for d in self.salts if d < day]

    def delete(self, day: date) -> None:
        self.salts.pop(day, None)


class BrokenSaltTable(MemorySaltTable):
    def create(self, salt: DailySalt) -> bool:
        raise ConnectionError("DynamoDB is unreachable")
