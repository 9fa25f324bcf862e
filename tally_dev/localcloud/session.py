"""Running a local cloud in the foreground until SIGINT or SIGTERM, and stopping it for sure.

`tally dev` (and the tests of this behaviour) call `run_until_signalled(cloud, work)`: the first
signal interrupts whatever the main thread is doing — starting the cloud, importing, serving — by
raising `Interrupted` there, and the cloud is stopped within `STOP_BOUND_S`: a second signal, or a
stop that takes longer, kills every process of the cloud outright and exits. Whatever happens to
this process, its workers and moto do not outlive it (`lifeline.py`).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tally_dev.localcloud.cloud import LocalCloud

#: How long a graceful stop may take before every process of the local cloud is killed.
STOP_BOUND_S = 10.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: How often the serving main thread wakes to run a signal handler flagged by another thread.
SIGNAL_POLL_S = 0.2


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwind whatever runs and stop (a BaseException, like KeyboardInterrupt,
    so that no `except Exception` on the way swallows it)."""


def run_until_signalled(cloud: LocalCloud, work: Callable[[LocalCloud], None], *,
                        starting: Callable[[], None] = lambda: None,
                        stopping: Callable[[], None] = lambda: None) -> None:
    """Start `cloud`, run `work(cloud)`, then serve until a signal; stop the cloud in every case.

    `starting()` is called once the signals are handled, `stopping()` as the stop begins (to say
    so). Exceptions other than the signal's (PortInUse, a failed step of `work`) propagate once
    the cloud is stopped.
    """
    signalled = threading.Event()

    def interrupt(signum: int, frame: FrameType | None) -> None:
        signalled.set()  # kept even when the exception below is swallowed on its way up
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in SIGNALS}
    try:
        try:
            starting()
            cloud.start()
            work(cloud)
            # until a signal interrupts, or at once when one came during `work` and some library code on the
            # main thread lost its Interrupted. Never one untimed wait: the kernel may deliver the signal to
            # another thread, whose C handler only flags it for the main thread — which, asleep in an untimed
            # lock wait, is not woken and never runs the handler (4 stops in 150 hung so in a repro: `make dev`
            # served on). Waking every SIGNAL_POLL_S runs a flagged handler at once.
            while not signalled.wait(SIGNAL_POLL_S):
                pass
        except Interrupted:
            pass
        finally:
            _stop(cloud, stopping)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop(cloud: LocalCloud, stopping: Callable[[], None]) -> None:
    def force(*_: object) -> None:
        try:
            cloud.kill()
        finally:
            os._exit(130)  # whatever kill() ran into

    for sig in SIGNALS:
        signal.signal(sig, force)
    watchdog = threading.Timer(STOP_BOUND_S, force)
    watchdog.daemon = True
    watchdog.start()
    try:
        stopping()
        cloud.stop()
    finally:
        watchdog.cancel()
