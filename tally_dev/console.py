"""What `tally dev` shows in the terminal: one progress line, then the links; everything else in a log file.

The functions' own log lines (START/END/REPORT, Powertools' JSON), moto's, the access log and each
delivery go to the log file (`--verbose`: to the terminal as before). On a terminal the progress
line rewrites itself; piped, each step is a line of its own.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO


class Progress:
    """`tally dev`'s progress line: `step()` replaces it, `done()` ends it."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self._tty = stream.isatty()
        self._open = False

    def step(self, text: str) -> None:
        line = f"[{time.monotonic() - self.started:5.1f} s] {text}"
        if self._tty:
            self.stream.write(f"\r\033[K{line}")
            self._open = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def say(self, text: str) -> None:
        """A line that stays (a warning, a hint)."""
        self.done()
        self.stream.write(text + "\n")
        self.stream.flush()


def log_path(port: int) -> Path:
    """Where `tally dev --port PORT` writes the functions' logs (one file per port, rewritten each run)."""
    import tempfile

    return Path(tempfile.gettempdir()) / f"tally-dev-{port}.log"
