"""Child processes that cannot outlive the local cloud, however it ends (Ctrl-C, SIGTERM, SIGKILL, a crash).

Two independent guards, both armed by the child itself (`worker.watch_parent`):
- Linux's `PR_SET_PDEATHSIG`: the kernel sends the child SIGKILL when its parent dies. The kernel
  means the parent *thread* that forked it, so every child is started by `spawn`, on one thread
  that lives as long as the process (workers are otherwise started from whichever HTTP, poller or
  warm-up thread needed them, and those end).
- A lifeline: a pipe whose write end only the local cloud holds. A thread in the child blocks on
  the read end and exits the process at EOF: when the local cloud closes it (`stop()`) or the
  kernel does (the process died). This also covers other systems, and a child that was being
  started when the local cloud began stopping.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import threading
from concurrent.futures import Future
from typing import Any


class Lifeline:
    """The pipe; children get `fd` (pass it in `pass_fds`), the local cloud `close()`s it to end them."""

    def __init__(self) -> None:
        self.fd, self._write = os.pipe()  # both non-inheritable: a child gets `fd` only through pass_fds

    def close(self) -> None:
        """Tell every child holding `fd` to exit (idempotent). The read end stays open until then so that
        a child started meanwhile still gets a valid descriptor."""
        for name in ("_write", "fd"):
            fd = getattr(self, name)
            if fd >= 0:
                setattr(self, name, -1)
                with contextlib.suppress(OSError):
                    os.close(fd)

    @property
    def closed(self) -> bool:
        return self._write < 0


class _Spawner:
    """Runs `subprocess.Popen` on one long-lived daemon thread (see the module docstring)."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[Future[subprocess.Popen[bytes]], list[str], dict[str, Any]]] = (
            queue.SimpleQueue())
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def popen(self, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tally-local-spawner", daemon=True)
                self._thread.start()
        future: Future[subprocess.Popen[bytes]] = Future()
        self._requests.put((future, args, kwargs))
        return future.result()

    def _run(self) -> None:
        while True:
            future, args, kwargs = self._requests.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(subprocess.Popen(args, **kwargs))
            except BaseException as error:  # noqa: BLE001 - handed to the caller, who raises it
                future.set_exception(error)


_spawner = _Spawner()


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """`subprocess.Popen(args, **kwargs)`, started from the process's spawner thread."""
    return _spawner.popen(args, **kwargs)
