"""The `since` window of a failure count: `^\\d+[smhd]$`, more than zero, at most seven days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from tally.platform.errors import InvalidInput

SINCE_PATTERN = r"^\d+[smhd]$"
MAX_WINDOW = timedelta(days=7)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_SINCE = re.compile(SINCE_PATTERN)


@dataclass(frozen=True)
class Window:
    text: str
    length: timedelta

    @classmethod
    def parse(cls, text: str) -> Window:
        """Parse `15m`, `1h`, `7d`…; anything else is a 422 that states the rule it broke."""
        if not _SINCE.match(text):
            raise _invalid(f"since must match {SINCE_PATTERN} (e.g. 15m, 1h, 24h, 7d); got {text!r}")
        value, unit = int(text[:-1]), text[-1]
        if value <= 0:
            raise _invalid(f"since must be greater than 0; got {text!r}")
        # Compare in seconds before building a timedelta: a huge value would overflow it.
        seconds = value * int(timedelta(**{_UNITS[unit]: 1}).total_seconds())
        if seconds > MAX_WINDOW.total_seconds():
            raise _invalid(f"since must be at most 7d (604800 s); got {text!r}")
        return cls(text=text, length=timedelta(seconds=seconds))


def _invalid(rule: str) -> InvalidInput:
    return InvalidInput(rule, details=[{"field": "since", "rule": rule, "type": "window"}])
