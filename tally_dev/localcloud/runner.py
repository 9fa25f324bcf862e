"""Runs the template's functions in long-lived worker processes, a small pool per function.

Each worker is one "container" (see `worker.py`): its own environment, cold start once, then warm
invocations. A pool grows on demand up to `max_workers` so concurrent requests run in parallel;
the template's `Timeout` is enforced by killing the worker (the next request starts a fresh one).
`FunctionRunner` also offers the `invoke(function_name, event_str, stdout, stderr, tenant_id)` /
`is_debugging()` interface that aws-sam-cli's API Gateway emulator expects of its Lambda runner.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from tally_dev.localcloud import worker as worker_protocol
from tally_dev.localcloud.lifeline import Lifeline, spawn

WORKER_SCRIPT = Path(worker_protocol.__file__).resolve()
#: Lambda gives a function's init phase 10 s; a busy laptop or CI machine gets more here.
INIT_TIMEOUT_S = 30.0
#: How long a stopping worker may take to exit on its own before it is killed.
STOP_GRACE_S = 2.0
DEFAULT_MAX_WORKERS = 4


@dataclass(frozen=True)
class FunctionConfig:
    """What a worker needs to run one function of the template."""

    logical_id: str
    handler: str  # module.attribute, as in the template's Handler
    code_dir: Path
    environment: Mapping[str, str]
    timeout_s: float
    memory_mb: int = 128


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation: the JSON the function returned, or a Lambda-style error."""

    function: str
    request_id: str
    payload: str | None = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self) -> Any:
        """The decoded return value, or the error document (as `sam local invoke` prints it)."""
        return json.loads(self.payload) if self.payload is not None else self.error


class UnknownFunction(KeyError):
    """No function of the template has this logical id."""


class RunnerStopped(RuntimeError):
    """The runner was stopped; no more invocations."""


class Worker:
    """One worker process and its two pipes."""

    def __init__(self, config: FunctionConfig, log_fd: int, lifeline: Lifeline) -> None:
        self.config = config
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        try:
            self.process = spawn(
                [sys.executable, "-u", str(WORKER_SCRIPT), str(request_read), str(response_write), config.handler,
                 str(lifeline.fd), str(os.getpid())],
                cwd=config.code_dir,
                env=dict(config.environment),
                stdin=subprocess.DEVNULL,
                stdout=log_fd,
                stderr=log_fd,
                pass_fds=(request_read, response_write, lifeline.fd),
                start_new_session=True,  # Ctrl-C reaches the local cloud, which stops its workers itself
            )
        except BaseException:
            for fd in (request_read, request_write, response_read, response_write):
                os.close(fd)
            raise
        os.close(request_read)
        os.close(response_write)
        self._requests = request_write
        self._responses = response_read
        self._ready: dict[str, Any] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> dict[str, Any] | None:
        """Wait for the cold start; the init error (Lambda-style) or None when the handler is ready."""
        if self._ready is None:
            try:
                self._ready = worker_protocol.read_frame(self._responses, time.monotonic() + INIT_TIMEOUT_S)
            except TimeoutError:
                self._ready = {"ready": False, "error": {
                    "errorType": "Runtime.InitTimeout",
                    "errorMessage": f"init did not finish within {INIT_TIMEOUT_S:.0f} s"}}
            except (EOFError, ValueError):
                self._ready = {"ready": False, "error": self.exit_error("init")}
        return None if self._ready.get("ready") else dict(self._ready.get("error") or {})

    def invoke(self, event: Any, request_id: str) -> dict[str, Any]:
        """Run one invocation: `{"payload": json}` or `{"error": {...}}`; TimeoutError / EOFError on failure."""
        deadline_ms = int(time.time() * 1000 + self.config.timeout_s * 1000)
        worker_protocol.write_frame(self._requests, {"request_id": request_id, "deadline_ms": deadline_ms,
                                                     "event": event})
        return worker_protocol.read_frame(self._responses, time.monotonic() + self.config.timeout_s)

    def exit_error(self, request_id: str) -> dict[str, Any]:
        """The error Lambda reports when the runtime process died (its exit status, once reaped)."""
        try:
            code = self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            code = None
        return {"errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"}

    def close_requests(self) -> None:
        """Close the request pipe: an idle worker exits, a busy one after its invocation."""
        if self._requests >= 0:
            os.close(self._requests)
            self._requests = -1

    def reap(self, deadline: float) -> None:
        """Wait for the process to exit until `deadline` (monotonic), then kill it."""
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()

    def close(self, grace_s: float = STOP_GRACE_S) -> None:
        """Only the worker's holder calls this: nobody else reads or writes its pipes meanwhile."""
        self.close_requests()
        self.reap(time.monotonic() + grace_s)
        if self._responses >= 0:
            os.close(self._responses)
            self._responses = -1

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@dataclass
class FunctionPool:
    """Warm workers of one function, spawned on demand up to `max_workers`."""

    config: FunctionConfig
    log_fd: int
    lifeline: Lifeline
    max_workers: int = DEFAULT_MAX_WORKERS
    _idle: list[Worker] = field(default_factory=list)
    _workers: set[Worker] = field(default_factory=set)
    _live: int = 0
    _stopped: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def invoke(self, event: Any, request_id: str) -> Invocation:
        worker = self._acquire()
        healthy = False
        try:
            init_error = worker.start()
            if init_error is not None:
                return Invocation(self.config.logical_id, request_id, error=init_error)
            try:
                answer = worker.invoke(event, request_id)
            except TimeoutError:
                worker.kill()
                return Invocation(self.config.logical_id, request_id, error={
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}Z {request_id} "
                                    f"Task timed out after {self.config.timeout_s:.2f} seconds"})
            except (EOFError, OSError, ValueError):
                return Invocation(self.config.logical_id, request_id, error=worker.exit_error(request_id))
            healthy = True
            return Invocation(self.config.logical_id, request_id, payload=answer.get("payload"),
                              error=answer.get("error"))
        finally:
            self._release(worker, healthy)

    def warm(self) -> None:
        """Start one worker and wait for its cold start, so the first request finds it warm."""
        worker = self._acquire()
        self._release(worker, healthy=worker.start() is None)

    def _acquire(self) -> Worker:
        with self._cond:
            while True:
                if self._stopped:
                    raise RunnerStopped(self.config.logical_id)
                if self._idle:
                    return self._idle.pop()
                if self._live < self.max_workers:
                    self._live += 1
                    break
                self._cond.wait()
        try:
            worker = Worker(self.config, self.log_fd, self.lifeline)
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._workers.add(worker)
            stopped = self._stopped
        if stopped:
            self._release(worker, healthy=False)
            raise RunnerStopped(self.config.logical_id)
        return worker

    def _release(self, worker: Worker, healthy: bool) -> None:
        with self._cond:
            if healthy and not self._stopped:
                self._idle.append(worker)
                self._cond.notify()
                return
            self._workers.discard(worker)
            self._live -= 1
            self._cond.notify()
        worker.close(grace_s=0 if not healthy else STOP_GRACE_S)

    def stop(self) -> tuple[list[Worker], list[Worker]]:
        """Refuse new invocations; (idle, busy) workers. Busy ones are closed by their invoking thread."""
        with self._cond:
            self._stopped = True
            idle = list(self._idle)
            busy = [w for w in self._workers if w not in idle]
            self._idle.clear()
            self._workers.difference_update(idle)
            self._live -= len(idle)
            self._cond.notify_all()
        return idle, busy

    def pids(self) -> list[int]:
        with self._cond:
            return [w.pid for w in self._workers]


class FunctionRunner:
    """Every function of the template, each with its own pool of workers."""

    def __init__(self, functions: Mapping[str, FunctionConfig], *, max_workers: int = DEFAULT_MAX_WORKERS,
                 log: TextIO | None = None) -> None:
        log_fd = log.fileno() if log is not None else 2
        self.lifeline = Lifeline()
        self.pools = {lid: FunctionPool(config, log_fd, self.lifeline, max_workers)
                      for lid, config in functions.items()}

    def invoke_event(self, function_name: str, event: Any, request_id: str | None = None) -> Invocation:
        pool = self.pools.get(function_name)
        if pool is None:
            raise UnknownFunction(function_name)
        return pool.invoke(event, request_id or str(uuid.uuid4()))

    # -- the interface of samcli's LocalLambdaRunner, as LocalApigwService calls it ------------------

    def invoke(self, function_name: str, event_str: str, stdout: Any, stderr: Any = None,
               tenant_id: str | None = None) -> None:
        """Invoke and write the function's answer (or its Lambda error document) to `stdout`."""
        invocation = self.invoke_event(function_name, json.loads(event_str))
        stdout.write_str(invocation.payload if invocation.ok else json.dumps(invocation.error))

    def is_debugging(self) -> bool:
        return False

    # -- lifecycle -----------------------------------------------------------------------------------

    def child_pids(self) -> list[int]:
        return [pid for pool in self.pools.values() for pid in pool.pids()]

    def stop(self) -> None:
        """Stop every worker: idle ones exit as their request pipe closes, busy ones are killed after a grace."""
        idle: list[Worker] = []
        busy: list[Worker] = []
        for pool in self.pools.values():
            pool_idle, pool_busy = pool.stop()
            idle += pool_idle
            busy += pool_busy
        for worker in idle:
            worker.close_requests()
        deadline = time.monotonic() + STOP_GRACE_S
        for worker in idle + busy:
            worker.reap(deadline)  # a busy worker's invoking thread sees EOF and closes its pipes
        for worker in idle:
            worker.close(grace_s=0.0)
        self.lifeline.close()  # a worker still being started as the pools stopped exits too

    def kill(self) -> None:
        """End every worker now (SIGKILL), without waiting for anything: the last resort of a stop."""
        self.lifeline.close()
        for pool in self.pools.values():
            for pid in pool.pids():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
