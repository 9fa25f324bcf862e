"""The local cloud's event delivery: stream and queue pollers, schedules, fault injection, a record of it all.

`LocalCloud` builds one `Delivery` from the template and exposes it as `cloud.delivery`:

    with LocalCloud(port=0, accelerate=100) as cloud:          # pollers on; schedules only on request
        with cloud.delivery.paused():                          # no batch starts while paused
            write_items(...)                                   # → one batch after resume
        cloud.delivery.settle()                                # every record delivered, retried or discarded
        cloud.delivery.deliveries("AggregatorFunction")        # what each invocation got and answered
        cloud.delivery.dead_letters                            # what went to OnFailure destinations
        cloud.delivery.inject(duplicates=1)                    # fault injection: see `faults.py`
        cloud.delivery.fire("SealerFunction")                  # run a schedule now

Every invocation goes through `_invoke`, where injected faults apply and the `Delivered` entry is
written, so tests observe exactly what Lambda would have sent and how it was answered.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tally_dev.localcloud.access_logs import LogGroup, LogSubscriptionPoller
from tally_dev.localcloud.batches import Answer, Discarded, read_answer
from tally_dev.localcloud.event_sources import (
    EventSources,
    LogSubscription,
    QueueSource,
    ScheduleSource,
    StreamSource,
    Target,
)
from tally_dev.localcloud.faults import Faults, Injection, RecordMatch
from tally_dev.localcloud.pollers import Poller
from tally_dev.localcloud.queues import QueuePoller
from tally_dev.localcloud.records import async_failure_record, sequence_number, stream_failure_record
from tally_dev.localcloud.resources import Provisioned, Queue
from tally_dev.localcloud.runner import FunctionRunner, Invocation, RunnerStopped
from tally_dev.localcloud.schedules import Scheduler, VirtualClock
from tally_dev.localcloud.streams import StreamPoller

#: How many deliveries `history` keeps (a long `tally dev` session must not grow without bound).
HISTORY_LIMIT = 10_000
SETTLE_BOUND_S = 30.0
PAUSE_BOUND_S = 30.0

__all__ = ["Delivered", "Delivery", "DiscardedBatch"]


@dataclass(frozen=True)
class Delivered:
    """One invocation by an event source or schedule: what the function got and how it answered."""

    source: str  # Function.Event
    function: str
    kind: str  # "stream", "queue", "schedule" or "logs"
    request_id: str
    event: Any
    ids: tuple[str, ...]  # the records' sequence numbers or message ids
    answer: Answer
    invocation: Invocation
    fault: str | None = None  # "duplicate" (the redelivery), "crash", "error" (forced)

    @property
    def records(self) -> list[dict[str, Any]]:
        return list(self.event.get("Records", [])) if isinstance(self.event, dict) else []


@dataclass(frozen=True)
class DiscardedBatch:
    """Records a stream mapping gave up on, and what it sent to its OnFailure destination."""

    source: str
    destination: str | None  # the queue URL, or None when the mapping has no (supported) destination
    record: dict[str, Any]  # the invocation record (`DDBStreamBatchInfo` …)


class Delivery:
    def __init__(self, *, runner: FunctionRunner, sources: EventSources, provisioned: Provisioned,
                 client: Callable[[str], Any], stack: str, resolve_input: Callable[[Any], str | None],
                 accelerate: float = 1.0, event_sources: bool = True, schedules: bool = False,
                 faults_dir: Path | None = None, max_concurrency: int = 4,
                 log: Callable[[str], None] | None = None) -> None:
        self.runner = runner
        self.sources = sources
        self.provisioned = provisioned
        self.stack = stack
        self.accelerate = accelerate
        self.faults = Faults(faults_dir)
        self._client = client
        self._log = log
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._history: deque[Delivered] = deque(maxlen=HISTORY_LIMIT)
        self._discarded: deque[DiscardedBatch] = deque(maxlen=HISTORY_LIMIT)
        self._destinations = client("sqs") if provisioned.queues else None
        #: The log groups a function subscribes to (logical id or name -> group); API Gateway writes to them.
        self.log_groups: dict[str, LogGroup] = {}
        for subscription in sources.log_subscriptions:
            name = subscription.log_group.logical_id or str(subscription.log_group.arn)
            self.log_groups.setdefault(name, LogGroup(f"{stack}-{name}"))
        self.pollers: list[Poller] = self._pollers() if event_sources else []
        self.clock = VirtualClock(accelerate)
        self.scheduler = Scheduler(sources.schedules, clock=self.clock, stack=stack, invoke=self._deliver_schedule,
                                   resolve_input=resolve_input, max_concurrency=max_concurrency, log=log)
        self.schedules_on = schedules

    # -- lifecycle -----------------------------------------------------------------------------------

    def _pollers(self) -> list[Poller]:
        found: list[Poller] = []
        for stream in self.sources.streams:
            if not stream.enabled:
                continue
            arn = self._stream_arn(stream.stream)
            found.append(StreamPoller(stream, stream_arn=arn, client=self._client("dynamodbstreams"),
                                      deliver=self._deliver_stream, discard=self._discard,
                                      stopping=self._stopping, accelerate=self.accelerate))
        for source in self.sources.queues:
            if not source.enabled:
                continue
            queue = self._queue(source.queue)
            if queue is None:
                raise KeyError(f"{source.key}: no queue {source.queue} in the local cloud")
            found.extend(QueuePoller(source, queue=queue, client=self._client("sqs"), deliver=self._deliver_queue,
                                     stopping=self._stopping, accelerate=self.accelerate, index=i)
                         for i in range(max(1, min(source.max_concurrency or 1, self.runner_pool_size(source)))))
        for subscription in self.sources.log_subscriptions:
            if subscription.enabled:
                group = self.log_groups[subscription.log_group.logical_id or str(subscription.log_group.arn)]
                found.append(LogSubscriptionPoller(subscription, group=group, deliver=self._deliver_logs,
                                                   give_up=self._give_up_logs, stopping=self._stopping,
                                                   accelerate=self.accelerate))
        return found

    def runner_pool_size(self, source: QueueSource) -> int:
        pool = self.runner.pools.get(source.function)
        return pool.max_workers if pool is not None else 1

    def start(self) -> None:
        for poller in self.pollers:
            poller.start()
        if self.schedules_on:
            self.scheduler.start()

    def start_schedules(self) -> None:
        """Fire the schedules from now on (when the delivery started without them); idempotent."""
        if not self.schedules_on and not self._stopping.is_set():
            self.schedules_on = True
            self.scheduler.start()

    def stop(self) -> None:
        """Start no new delivery (a delivery in flight ends when the runner stops its worker)."""
        self._stopping.set()
        self.scheduler.stop()
        for poller in self.pollers:
            poller.request_pause(False)

    def join(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        for poller in self.pollers:
            poller.join(max(0.0, deadline - time.monotonic()))
        self.scheduler.join(max(0.0, deadline - time.monotonic()))

    def threads_alive(self) -> bool:
        return any(p.alive for p in self.pollers)

    # -- what tests use ----------------------------------------------------------------------------

    def pause(self, bound_s: float = PAUSE_BOUND_S) -> None:
        """Let every batch in flight finish, then start no new one (schedules skip their firings)."""
        self.scheduler.pause(True)
        for poller in self.pollers:
            poller.request_pause(True)
        deadline = time.monotonic() + bound_s
        stuck = [p.name for p in self.pollers if not p.wait_parked(deadline)]
        if stuck:
            raise TimeoutError(f"pollers still busy after {bound_s:.0f} s: {', '.join(stuck)}")

    def resume(self) -> None:
        for poller in self.pollers:
            poller.request_pause(False)
        self.scheduler.pause(False)

    @contextlib.contextmanager
    def paused(self, bound_s: float = PAUSE_BOUND_S) -> Iterator[None]:
        self.pause(bound_s)
        try:
            yield
        finally:
            self.resume()

    @contextlib.contextmanager
    def holding(self, function: str, bound_s: float = PAUSE_BOUND_S) -> Iterator[None]:
        """Hold back every event source of `function` (e.g. the raw-event stream of
        AggregatorFunction) for the block: once the batch in flight is done, nothing more is
        delivered to it and records wait in the stream, as when Lambda's pollers fall behind.
        Other functions and the schedules go on. See `faults.py`."""
        held = [p for p in self.pollers if getattr(getattr(p, "source", None), "function", None) == function]
        if not held:
            raise KeyError(f"{function!r} has no event source in the local cloud")
        for poller in held:
            poller.hold(True)
        try:
            deadline = time.monotonic() + bound_s
            stuck = [p.name for p in held if not p.wait_parked(deadline)]
            if stuck:
                raise TimeoutError(f"pollers still busy after {bound_s:.0f} s: {', '.join(stuck)}")
            yield
        finally:
            for poller in held:
                poller.hold(False)

    def settle(self, bound_s: float = SETTLE_BOUND_S) -> None:
        """Wait until every stream record and queue message written before this call is done with.

        Done with: delivered successfully, or retried and discarded to its destination, or (SQS)
        dead-lettered by the queue's redrive policy. Raises TimeoutError after `bound_s`.
        """
        marks = [(poller, poller.mark()) for poller in self.pollers]
        deadline = time.monotonic() + bound_s
        unsettled = [p.name for p, mark in marks if not p.wait_settled(mark, deadline)]
        if unsettled:
            raise TimeoutError(f"not settled after {bound_s:.0f} s: {', '.join(unsettled)}")

    @property
    def history(self) -> list[Delivered]:
        with self._lock:
            return list(self._history)

    def deliveries(self, function: str | None = None, kind: str | None = None) -> list[Delivered]:
        return [d for d in self.history if function in (None, d.function) and kind in (None, d.kind)]

    @property
    def dead_letters(self) -> list[DiscardedBatch]:
        with self._lock:
            return list(self._discarded)

    def inject(self, *, function: str | None = None, duplicates: int = 0, fail_on: RecordMatch | None = None,
               failures: int | None = None, crash_on: RecordMatch | None = None, crash_after_calls: int = 0,
               crash_after_call: tuple[str, str] | None = None, crashes: int | None = 1) -> Injection:
        """Inject faults into the coming deliveries (of `function`, or of every function); see `faults.py`."""
        return self.faults.add(Injection(function=function, duplicates=duplicates, fail_on=fail_on, failures=failures,
                                         crash_on=crash_on, crash_after_calls=crash_after_calls,
                                         crash_after_call=crash_after_call, crashes=crashes))

    def clear_faults(self) -> None:
        self.faults.clear()

    def fire(self, function_or_key: str) -> None:
        """Fire a schedule now, asynchronously: `SealerFunction` (its one schedule) or `SealerFunction.EveryMinute`."""
        keys = [s.key for s in self.sources.schedules if function_or_key in (s.key, s.function)]
        if len(keys) != 1:
            raise KeyError(f"{function_or_key!r} names {len(keys)} schedules")
        self.scheduler.fire(keys[0])

    # -- invoking ---------------------------------------------------------------------------------------

    def _invoke(self, source: str, function: str, kind: str, event: Any, records: Sequence[Mapping[str, Any]],
                ids: Sequence[str], read: Callable[[Invocation], Answer]) -> Delivered | None:
        plan = self.faults.plan(function, records)
        if plan.fail is not None:
            request_id = str(uuid.uuid4())
            invocation = Invocation(function, request_id, error={
                "errorType": "InjectedFunctionError", "stackTrace": [],
                "errorMessage": "an error injected by the local cloud's fault injection"})
            return self._record(Delivered(source, function, kind, request_id, event, tuple(ids), read(invocation),
                                          invocation, fault="error"))
        delivered = self._call(source, function, kind, event, ids, read, crash=plan.crash)
        if delivered is not None and plan.duplicate is not None and not self._stopping.is_set():
            delivered = self._call(source, function, kind, event, ids, read, crash=None, fault="duplicate")
        return delivered

    def _call(self, source: str, function: str, kind: str, event: Any, ids: Sequence[str],
              read: Callable[[Invocation], Answer], *, crash: Injection | None, fault: str | None = None,
              ) -> Delivered | None:
        request_id = str(uuid.uuid4())
        directive = (self.faults.arm(request_id, crash.crash_after_calls, crash.crash_after_call)
                     if crash is not None else None)
        try:
            invocation = self.runner.invoke_event(function, event, request_id)
        except RunnerStopped:
            return None
        finally:
            if directive is not None:
                directive.unlink(missing_ok=True)
        if self._stopping.is_set():
            return None  # the worker was stopped under it: no answer to act on
        if crash is not None and (invocation.error or {}).get("errorType") == "Runtime.ExitError":
            self.faults.crashed(crash)
            fault = "crash"
        return self._record(Delivered(source, function, kind, request_id, event, tuple(ids), read(invocation),
                                      invocation, fault=fault))

    def _record(self, delivered: Delivered) -> Delivered:
        with self._lock:
            self._history.append(delivered)
        if self._log is not None:
            note = f" [{delivered.fault}]" if delivered.fault else ""
            size = f"{len(delivered.ids)} record(s) " if delivered.kind != "schedule" else ""
            self._log(f"{delivered.kind} {delivered.source}: {size}{delivered.answer.kind}{note} "
                      f"({delivered.request_id})")
        return delivered

    def _deliver_stream(self, source: StreamSource, records: list[dict[str, Any]]) -> Answer | None:
        ids = [sequence_number(r) for r in records]
        delivered = self._invoke(source.key, source.function, "stream", {"Records": records}, records, ids,
                                 lambda inv: read_answer(inv, ids, source.report_batch_item_failures))
        return delivered.answer if delivered is not None else None

    def _deliver_queue(self, source: QueueSource, records: list[dict[str, Any]]) -> Answer | None:
        ids = [r["messageId"] for r in records]
        delivered = self._invoke(source.key, source.function, "queue", {"Records": records}, records, ids,
                                 lambda inv: read_answer(inv, ids, source.report_batch_item_failures))
        return delivered.answer if delivered is not None else None

    def _deliver_logs(self, source: LogSubscription, event: dict[str, Any],
                      lines: list[tuple[str, int, str]]) -> Invocation | None:
        records = [{"id": i, "timestamp": t, "message": m} for i, t, m in lines]
        ids = [i for i, _, _ in lines]
        delivered = self._invoke(source.key, source.function, "logs", event, records, ids,
                                 lambda inv: Answer("ok" if inv.ok else "error", request_id=inv.request_id,
                                                    error_type=(inv.error or {}).get("errorType")))
        return None if delivered is None else delivered.invocation

    def _give_up_logs(self, source: LogSubscription, event: dict[str, Any], last: Invocation, attempts: int) -> None:
        """A log batch whose every asynchronous attempt failed: its invocation record goes to the function's
        OnFailure queue (`dead_letters` keeps it too); without one it is dropped, as Lambda drops it."""
        record = async_failure_record(event, function_name=f"{self.stack}-{source.function}",
                                      request_id=last.request_id, invoke_count=attempts, error=last.error)
        queue = self._send_failure(source.key, source.on_failure, record)
        if self._log is not None:
            where = queue.name if queue is not None else "nowhere (dropped: no SQS OnFailure destination)"
            self._log(f"logs {source.key}: a batch failed {attempts} attempt(s), sent to {where}")

    def _deliver_schedule(self, source: ScheduleSource, payload: Any) -> Invocation | None:
        delivered = self._invoke(source.key, source.function, "schedule", payload, [payload], (),
                                 lambda inv: Answer("ok" if inv.ok else "error", request_id=inv.request_id,
                                                    error_type=(inv.error or {}).get("errorType")))
        return delivered.invocation if delivered is not None else None

    # -- destinations --------------------------------------------------------------------------------------

    def _send_failure(self, source_key: str, on_failure: Target | None, record: dict[str, Any]) -> Queue | None:
        """Send a failure record to the source's OnFailure queue (when it has one) and keep it in
        `dead_letters`; returns the queue it went to."""
        queue = self._queue(on_failure) if on_failure is not None else None
        if queue is not None and self._destinations is not None:
            self._destinations.send_message(QueueUrl=queue.url, MessageBody=json.dumps(record))
        with self._lock:
            self._discarded.append(DiscardedBatch(source_key, queue.url if queue is not None else None, record))
        return queue

    def _queue(self, target: Target) -> Queue | None:
        if target.logical_id is not None:
            return self.provisioned.queues.get(target.logical_id)
        return self.provisioned.queue_by_arn(target.arn or "")

    def _stream_arn(self, target: Target) -> str:
        if target.logical_id is not None:
            if target.logical_id not in self.provisioned.streams:
                raise KeyError(f"table {target.logical_id} has no stream (StreamSpecification) in the template")
            return self.provisioned.streams[target.logical_id]
        return str(target.arn)

    def _discard(self, source: StreamSource, shard_id: str, discarded: Discarded) -> None:
        poller_arn = next(p.stream_arn for p in self.pollers if isinstance(p, StreamPoller) and p.source is source)
        record = stream_failure_record(discarded.records, shard_id=shard_id, stream_arn=poller_arn,
                                       function_name=f"{self.stack}-{source.function}",
                                       request_id=discarded.request_id or str(uuid.uuid4()),
                                       condition=discarded.condition, invoke_count=discarded.invoke_count,
                                       function_error=discarded.function_error)
        queue = self._send_failure(source.key, source.on_failure, record)
        if self._log is not None:
            where = queue.name if queue is not None else "nowhere (no SQS OnFailure destination)"
            self._log(f"stream {source.key}: {len(discarded.records)} record(s) discarded "
                      f"({discarded.condition}) to {where}")
