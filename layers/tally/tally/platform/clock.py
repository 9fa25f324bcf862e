"""The monotonic clock that caches read, and the local cloud's test-only way to move it forward.

Deployed, `monotonic_clock(None)` is `time.monotonic`. In the local cloud a test may let a cache's
lifetime pass at once instead of waiting it out: the local cloud writes a number of seconds to a
file (`tally_dev.localcloud.clock`), and every worker's clock adds that file's number. Only the
local stage ever names such a file (see `AuthSettings.local_clock_offset_file`); the offset moves
cache deadlines only, never a timestamp that is stored or shown.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

Clock = Callable[[], float]


class OffsetClock:
    """`base()` plus the seconds written in `path` (0 while the file is missing or holds no such number)."""

    def __init__(self, path: Path, base: Clock = time.monotonic) -> None:
        self.path = path
        self.base = base

    def __call__(self) -> float:
        return self.base() + self.offset()

    def offset(self) -> float:
        try:
            value = float(self.path.read_text())
        except (OSError, ValueError):  # not moved yet (the local cloud replaces the file whole)
            return 0.0
        return value if math.isfinite(value) and value > 0 else 0.0


def monotonic_clock(offset_file: str | None) -> Clock:
    """`time.monotonic`, moved forward by the local cloud's offset file when one is named."""
    return OffsetClock(Path(offset_file)) if offset_file else time.monotonic
