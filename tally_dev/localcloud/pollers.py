"""What every event-source poller shares: its thread, pausing between batches, knowing when it is idle.

A poller calls `poll_once()` in a loop: `BUSY` (it delivered something: poll again at once),
`WAITING` (nothing to deliver now, but something pending: a batching window, a message whose
visibility timeout has not run out) or `IDLE` (nothing at all). Between polls it honours a pause
request, so `pause()` returns only once no batch is in flight. `settled_since(mark)` tells a test
that a whole poll that started after `mark` found nothing to do: everything written before
`mark` has been delivered, retried or discarded.
"""

from __future__ import annotations

import logging
import threading
import time
from enum import Enum

LOG = logging.getLogger("tally.localcloud")


class Poll(Enum):
    BUSY = "busy"
    WAITING = "waiting"
    IDLE = "idle"


#: Lambda polls a stream shard four times a second; an accelerated cloud polls faster, down to this.
MIN_POLL_INTERVAL_S = 0.02
BASE_POLL_INTERVAL_S = 0.25


class Poller:
    """A thread running `poll_once` until `stopping` is set."""

    name = "poller"

    def __init__(self, *, stopping: threading.Event, accelerate: float = 1.0) -> None:
        self.stopping = stopping
        self.accelerate = accelerate
        self.interval_s = max(MIN_POLL_INTERVAL_S, BASE_POLL_INTERVAL_S / accelerate)
        self._cond = threading.Condition()
        self._pause_requested = False
        self._held = False  # a test holds this source back (see Delivery.holding)
        self._parked = False
        self._polls_started = 0
        self._last_idle_poll = -1
        self._thread: threading.Thread | None = None

    def poll_once(self) -> Poll:
        raise NotImplementedError

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"tally-local-{self.name}", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            with self._cond:
                while (self._pause_requested or self._held) and not self.stopping.is_set():
                    self._parked = True
                    self._cond.notify_all()
                    self._cond.wait(self.interval_s)
                self._parked = False
                index = self._polls_started
                self._polls_started += 1
            if self.stopping.is_set():
                return
            try:
                outcome = self.poll_once()
            except Exception:  # a poller outlives a failed poll, as Lambda's keeps polling
                if self.stopping.is_set():
                    return
                LOG.exception("local cloud: %s failed to poll; polling again", self.name)
                outcome = Poll.WAITING
            if outcome is Poll.BUSY:
                continue
            if outcome is Poll.IDLE:
                with self._cond:
                    self._last_idle_poll = index
                    self._cond.notify_all()
            self.stopping.wait(self.interval_s)

    # -- pausing and settling --------------------------------------------------------------------------

    def request_pause(self, paused: bool) -> None:
        with self._cond:
            self._pause_requested = paused
            self._cond.notify_all()

    def hold(self, held: bool) -> None:
        """Deliver nothing more (after the batch in flight) until released; unlike a pause, a hold
        is the test's fault injection, and `resume()` does not lift it."""
        with self._cond:
            self._held = held
            self._cond.notify_all()

    def wait_parked(self, deadline: float) -> bool:
        with self._cond:
            while not (self._parked or self.stopping.is_set() or not self.alive):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def mark(self) -> int:
        """A point in this poller's life: polls started from now on see everything written before."""
        with self._cond:
            return self._polls_started

    def wait_settled(self, mark: int, deadline: float) -> bool:
        with self._cond:
            while self._last_idle_poll < mark:
                if self.stopping.is_set() or not self.alive:
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, self.interval_s))
        return True

    def retry_delay_s(self, retries: int, base_s: float = 1.0, cap_s: float = 30.0) -> float:
        """Exponential backoff before the `retries`-th retry of a batch, on the accelerated clock."""
        return float(min(cap_s, base_s * 2.0 ** max(0, retries - 1)) / self.accelerate)
