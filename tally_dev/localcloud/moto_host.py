"""moto's server (requests applied one at a time, `tally_dev.motoserver`) in a process of its own,
on loopback and a free port.

Why a process: moto keeps its state in module globals, and `mock_aws()` (which the unit and
integration tests use in the same pytest process) resets those globals when it starts and stops.
In its own process the local cloud's data survives, and stopping it is one `terminate`.

Run as `python moto_host.py HOST PARENT_PID`: prints the port it listens on, then serves until its
stdin closes (the local cloud stopped or died); on Linux the kernel also kills it with its parent
(see `lifeline.py`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time
from typing import TextIO

START_TIMEOUT_S = 60.0
STOP_GRACE_S = 5.0


class MotoProcess:
    """The parent's handle on a moto server process."""

    def __init__(self, host: str = "127.0.0.1", log: TextIO | None = None) -> None:
        self.host = host
        self.port = 0
        self._log_fd = log.fileno() if log is not None else 2
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process; `wait_ready` then waits for its port (do other work in between)."""
        from tally_dev.localcloud.lifeline import spawn

        self.process = spawn(
            [sys.executable, "-u", os.path.abspath(__file__), self.host, str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log_fd,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        try:
            line = _read_line(self.process.stdout.fileno(), time.monotonic() + START_TIMEOUT_S)
            self.port = int(line)
        except (TimeoutError, EOFError, ValueError) as error:
            self.stop()
            raise RuntimeError(f"moto's server did not start: {error!r}") from error

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL now, without waiting (the last resort of a stop)."""
        process = self.process
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                process.kill()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


def _read_line(fd: int, deadline: float) -> str:
    from tally_dev.localcloud.worker import read_exact

    data = b""
    while not data.endswith(b"\n"):
        data += read_exact(fd, 1, deadline)
    return data.decode().strip()


def main(argv: list[str]) -> int:
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # this folder's modules must not shadow anything moto imports
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    from tally_dev import moto_speedups
    from tally_dev.localcloud.worker import die_with_parent
    from tally_dev.motoserver import MotoServer

    die_with_parent(int(argv[2]))

    if os.environ.get("TALLY_STOCK_MOTO") != "1":  # tests' --stock-moto session: moto as released
        moto_speedups.install()  # Query in O(partition): a month of demo traffic stays quick to read
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # one request at a time on the data side: moto's backends are not thread-safe
    port = MotoServer(argv[1], 0).start().port
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    sys.stdin.buffer.read()  # until the local cloud closes our stdin (or dies)
    os._exit(0)  # nothing to save: moto's state dies with the local cloud


if __name__ == "__main__":
    sys.exit(main(sys.argv))
