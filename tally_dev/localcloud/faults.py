"""Fault injection for tests: duplicated deliveries, crashed workers, forced function errors.

Nothing here is active unless a test asks, through `cloud.delivery.inject(...)`:

    injection = cloud.delivery.inject(function="AggregatorFunction", duplicates=1)   # next batch twice
    injection = cloud.delivery.inject(fail_on=stream_key(sk="poison"))                # a forced error
    injection = cloud.delivery.inject(crash_on=stream_key(sk="e-2"), crash_after_calls=1)

- `duplicates=n`: the next n batches (of `function`, or of any) are delivered twice in a row, as
  when Lambda's checkpoint is lost after a success; the second delivery's answer is the one the
  mapping acts on.
- `fail_on=match`: a batch holding a matching record fails as if the function raised
  (`errorType` `InjectedFunctionError`) without running it; `failures=n` limits how many times.
- `crash_on=match`: the worker running a batch holding a matching record is killed (SIGKILL)
  right after the function's `crash_after_calls`-th AWS API call returns (0: before the handler
  runs), so a crash lands between two writes; `crashes=n` limits how many times (default once).
  `crash_after_call=("PutObject", "/checkpoint")` instead kills it right after the first call of
  that operation whose parameters, as JSON (`json.dumps(params, default=str, sort_keys=True)`),
  contain the text.
  Crashing needs `LocalCloud(faults=True)`, which wraps every handler in `_tally_local_faults`
  (see `faultshim/`): the wrapper reads a directive file named after the invocation's request id.

Holding a source back is a block rather than an injection: while
`with cloud.delivery.holding("AggregatorFunction"):` runs, nothing is delivered to that function
(its stream records wait, as when Lambda's pollers fall behind); everything else goes on.

A match is any `record -> bool`; records are the Lambda records of the batch (a schedule's event
counts as its one record). `stream_key`, `sqs_body` and `any_record` cover the usual cases.
Each `Injection` counts what it did (`duplicated`, `failed`, `crashed`) and can be `cancel()`ed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aws_lambda_powertools.shared.dynamodb_deserializer import TypeDeserializer

from tally_dev.localcloud.runner import FunctionConfig

RecordMatch = Callable[[Mapping[str, Any]], bool]
SHIM_DIR = Path(__file__).resolve().parent / "faultshim"
SHIM_MODULE = "_tally_local_faults"
_DESERIALIZER = TypeDeserializer()


class FaultsDisabled(RuntimeError):
    def __init__(self) -> None:
        super().__init__("crash injection needs the local cloud started with LocalCloud(faults=True)")


def any_record(record: Mapping[str, Any]) -> bool:
    return True


def stream_key(**key: Any) -> RecordMatch:
    """Matches DynamoDB stream records whose item key has these (plain Python) values."""

    def match(record: Mapping[str, Any]) -> bool:
        keys = record.get("dynamodb", {}).get("Keys")
        if not isinstance(keys, dict):
            return False
        plain = {name: _DESERIALIZER.deserialize(value) for name, value in keys.items()}
        return all(plain.get(name) == value for name, value in key.items())

    return match


def sqs_body(contains: str) -> RecordMatch:
    """Matches SQS records whose body contains `contains`."""

    def match(record: Mapping[str, Any]) -> bool:
        return contains in str(record.get("body", ""))

    return match


@dataclass
class Injection:
    """One `inject(...)` call: what it still has to do, and what it did."""

    function: str | None = None
    duplicates: int = 0
    fail_on: RecordMatch | None = None
    failures: int | None = None  # None: every time
    crash_on: RecordMatch | None = None
    crash_after_calls: int = 0
    crash_after_call: tuple[str, str] | None = None  # (operation, text its parameters' JSON holds)
    crashes: int | None = 1
    duplicated: int = 0
    failed: int = 0
    crashed: int = 0
    _owner: Faults | None = field(default=None, repr=False)

    def cancel(self) -> None:
        if self._owner is not None:
            self._owner.remove(self)


@dataclass(frozen=True)
class Plan:
    """What to do to one delivery."""

    duplicate: Injection | None = None
    fail: Injection | None = None
    crash: Injection | None = None

    @property
    def crash_after_calls(self) -> int:
        return self.crash.crash_after_calls if self.crash is not None else 0


def _matches(match: RecordMatch | None, records: Sequence[Mapping[str, Any]]) -> bool:
    return match is not None and any(match(r) for r in records)


class Faults:
    """The injections a test asked for; `plan` consumes them delivery by delivery (thread-safe)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory  # where crash directives go; None: crashes unavailable
        self._lock = threading.Lock()
        self._active: list[Injection] = []

    def add(self, injection: Injection) -> Injection:
        if injection.crash_on is not None and self.directory is None:
            raise FaultsDisabled
        injection._owner = self
        with self._lock:
            self._active.append(injection)
        return injection

    def remove(self, injection: Injection) -> None:
        with self._lock:
            if injection in self._active:
                self._active.remove(injection)

    def clear(self) -> None:
        with self._lock:
            self._active.clear()

    def plan(self, function: str, records: Sequence[Mapping[str, Any]]) -> Plan:
        """Decide (and count) the faults of one delivery of `records` to `function`."""
        with self._lock:
            mine = [i for i in self._active if i.function in (None, function)]
            fail = next((i for i in mine if _has_budget(i.failures) and _matches(i.fail_on, records)), None)
            if fail is not None:
                fail.failed += 1
                fail.failures = _spend(fail.failures)
                return Plan(fail=fail)
            crash = next((i for i in mine if _has_budget(i.crashes) and _matches(i.crash_on, records)), None)
            duplicate = next((i for i in mine if i.duplicates > 0), None)
            if duplicate is not None:
                duplicate.duplicates -= 1
                duplicate.duplicated += 1
        return Plan(duplicate=duplicate, crash=crash)

    def crashed(self, injection: Injection) -> None:
        """The worker did die: count it against the injection's budget."""
        with self._lock:
            injection.crashed += 1
            injection.crashes = _spend(injection.crashes)

    def arm(self, request_id: str, crash_after_calls: int, crash_after_call: tuple[str, str] | None = None) -> Path:
        """Write the crash directive the shim reads for the invocation `request_id`."""
        assert self.directory is not None
        path = self.directory / f"{request_id}.json"
        directive: dict[str, Any] = {"crash_after_calls": crash_after_calls}
        if crash_after_call is not None:
            directive["crash_after_call"] = {"operation": crash_after_call[0], "contains": crash_after_call[1]}
        path.write_text(json.dumps(directive))
        return path


def _has_budget(remaining: int | None) -> bool:
    return remaining is None or remaining > 0


def _spend(remaining: int | None) -> int | None:
    return None if remaining is None else max(0, remaining - 1)


def with_fault_shim(config: FunctionConfig, directory: Path) -> FunctionConfig:
    """`config` with its handler wrapped by the fault shim (the real handler in TALLY_LOCAL_FAULTS_HANDLER)."""
    environment = dict(config.environment)
    path = environment.get("PYTHONPATH", "")
    environment["PYTHONPATH"] = os.pathsep.join(p for p in (path, str(SHIM_DIR)) if p)
    environment["TALLY_LOCAL_FAULTS_HANDLER"] = config.handler
    environment["TALLY_LOCAL_FAULTS_DIR"] = str(directory)
    return replace(config, handler=f"{SHIM_MODULE}.handler", environment=environment)
