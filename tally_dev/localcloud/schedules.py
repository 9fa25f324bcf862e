"""Fires the template's `Schedule` and `ScheduleV2` events, on a clock that may run faster than real time.

One thread keeps every schedule's next firing on a `VirtualClock`: with `accelerate=60` a virtual
minute passes every real second, so `rate(1 minute)` fires every second and `cron(0 0 * * ? *)`
every 24 real minutes. The clock starts at the real time; payloads carry virtual scheduled times.
A firing is an asynchronous invocation, as EventBridge makes it: it runs beside the scheduler,
and a failed invocation is retried by "Lambda" after 1 and 2 (virtual) minutes, or as many times
as the function's EventInvokeConfig.MaximumRetryAttempts says, with the same payload.

Payloads: a `Schedule` without Input gets EventBridge's scheduled event (`source` aws.events); a
`ScheduleV2` gets its Input with the scheduler's context attributes filled in, or `{}` without one.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tally_dev.localcloud.event_sources import ScheduleSource
from tally_dev.localcloud.records import eventbridge_scheduled_event, scheduler_input
from tally_dev.localcloud.runner import Invocation
from tally_dev.localcloud.schedule_expressions import Schedule, parse

LOG = logging.getLogger("tally.localcloud")
#: Lambda's delays before the retries of a failed asynchronous invocation.
ASYNC_RETRY_DELAYS_S = (60.0, 120.0)
#: How many missed firings of one schedule a late scheduler still makes; older ones are skipped.
MAX_CATCH_UP = 10


class VirtualClock:
    """Time that starts now and runs `factor` times faster than the real clock."""

    def __init__(self, factor: float = 1.0, *, start: datetime | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if factor <= 0:
            raise ValueError("the acceleration must be positive")
        self.factor = factor
        self._monotonic = monotonic
        self._real_start = monotonic()
        self._start = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(self._monotonic() - self._real_start) * self.factor)

    def real_seconds(self, virtual_seconds: float) -> float:
        return virtual_seconds / self.factor


@dataclass
class _Armed:
    source: ScheduleSource
    schedule: Schedule
    name: str  # the physical schedule or rule name
    next_at: datetime | None


def schedule_payload(source: ScheduleSource, name: str, scheduled: datetime, resolved_input: str | None) -> Any:
    """The event a firing of `source` at `scheduled` sends (one per firing; retries resend it)."""
    if source.kind == "Schedule":
        if resolved_input is None:
            return eventbridge_scheduled_event(name, scheduled)
        return scheduler_input(resolved_input, schedule_name=name, scheduled=scheduled, execution_id="")
    return scheduler_input(resolved_input, schedule_name=name, scheduled=scheduled,
                           execution_id=uuid.uuid4().hex[:16])


class Scheduler:
    """A thread that fires schedules; `invoke(source, payload)` delivers one (and returns its outcome)."""

    def __init__(self, sources: list[ScheduleSource], *, clock: VirtualClock, stack: str,
                 invoke: Callable[[ScheduleSource, Any], Invocation | None],
                 resolve_input: Callable[[Any], str | None], max_concurrency: int = 4,
                 log: Callable[[str], None] | None = None) -> None:
        self.clock = clock
        self._invoke = invoke
        self._resolve_input = resolve_input
        self._log = log
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._paused = False
        self._stack = stack
        self._sources = [source for source in sources if source.enabled]
        self._armed = self._arm(clock.now())
        self._pool = ThreadPoolExecutor(max_workers=max(1, max_concurrency), thread_name_prefix="tally-local-schedule")
        self._thread = threading.Thread(target=self._run, name="tally-local-scheduler", daemon=True)

    @property
    def schedules(self) -> dict[str, datetime | None]:
        """Each schedule (Function.Event) and its next (virtual) firing."""
        return {armed.source.key: armed.next_at for armed in self._armed}

    def _arm(self, start: datetime) -> list[_Armed]:
        armed = []
        for source in self._sources:
            schedule = parse(source.expression, source.timezone, anchor=start)
            name = source.schedule_name or f"{self._stack}-{source.function}{source.name}"
            armed.append(_Armed(source, schedule, name, schedule.next_after(start)))
        return armed

    def start(self) -> None:
        """Fire from now on: a scheduler started later than it was made does not catch up on the gap."""
        if self._armed and not self._thread.is_alive():
            self._armed = self._arm(self.clock.now())
            self._thread.start()

    def pause(self, paused: bool) -> None:
        self._paused = paused
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def fire(self, key: str, scheduled: datetime | None = None) -> None:
        """Fire one schedule now (`Function.Event`), outside its timetable."""
        armed = next(a for a in self._armed if a.source.key == key)
        self._submit(armed, scheduled or self.clock.now())

    def _run(self) -> None:
        while not self._stop.is_set():
            upcoming = [a.next_at for a in self._armed if a.next_at is not None]
            if not upcoming:
                return
            wait_s = self.clock.real_seconds((min(upcoming) - self.clock.now()).total_seconds())
            self._wake.clear()
            if wait_s > 0 and self._wake.wait(wait_s):
                continue  # paused, resumed or stopped: look again
            if self._stop.is_set():
                return
            now = self.clock.now()
            for armed in self._armed:
                self._fire_due(armed, now)

    def _fire_due(self, armed: _Armed, now: datetime) -> None:
        """Fire every firing of `armed` due by `now` (a late scheduler catches up, within a bound)."""
        fired = 0
        while armed.next_at is not None and armed.next_at <= now:
            if fired == MAX_CATCH_UP:  # e.g. after the laptop slept: no storm of stale firings
                armed.next_at = armed.schedule.next_after(now)
                return
            if not self._paused:
                self._submit(armed, armed.next_at)
            fired += 1
            armed.next_at = armed.schedule.next_after(armed.next_at)

    def _submit(self, armed: _Armed, scheduled: datetime) -> None:
        payload = schedule_payload(armed.source, armed.name, scheduled,
                                   self._resolve_input(armed.source.input) if armed.source.input is not None
                                   else None)
        try:
            self._pool.submit(self._deliver, armed.source, payload)
        except RuntimeError:  # the pool shut down: the cloud is stopping
            return

    def _deliver(self, source: ScheduleSource, payload: Any) -> None:
        try:
            self._deliver_with_retries(source, payload)
        except Exception:  # one failed firing must not end the schedules
            LOG.exception("local cloud: schedule %s could not be delivered", source.key)

    def _deliver_with_retries(self, source: ScheduleSource, payload: Any) -> None:
        """An asynchronous invocation: retried after a function error, with the same payload."""
        for attempt in range(source.async_retries + 1):
            if self._stop.is_set():
                return
            invocation = self._invoke(source, payload)
            if invocation is None or invocation.ok:
                return
            if attempt < source.async_retries:
                delay = ASYNC_RETRY_DELAYS_S[min(attempt, len(ASYNC_RETRY_DELAYS_S) - 1)]
                if self._stop.wait(self.clock.real_seconds(delay)):
                    return
        if self._log is not None:
            self._log(f"schedule {source.key}: the invocation failed after {source.async_retries} retries")
