"""The local cloud's clock offset: a test lets a cache lifetime of the functions pass at once.

    cloud.clock.advance(61)   # every worker's cache clock is now 61 s later than it was

Functions that declare `LOCAL_CLOCK_FILE` in the template get this file's path (in stage `local`
only; deployed stages leave it empty and ignore it) and read their cache clock through
`tally.platform.clock.OffsetClock`, which adds the seconds written here. The offset only grows, so
the clock stays monotonic, and a cache that expires early only reads its table again: other tests
sharing the cloud see fresh answers, never wrong ones.
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path


class LocalClock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move the functions' cache clock forward by `seconds` (> 0); the offset now in force."""
        if not math.isfinite(seconds) or seconds <= 0:
            raise ValueError(f"a clock only moves forward: {seconds!r} seconds")
        with self._lock:
            self._offset += seconds
            partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
            partial.write_text(repr(self._offset))
            os.replace(partial, self.path)  # a worker reads the old offset or the new one, never half of it
            return self._offset
