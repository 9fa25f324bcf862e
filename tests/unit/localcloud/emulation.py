"""The HTTP API emulator with a recording runner: events are checked without starting any process."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tally_dev.localcloud.runner import Invocation
from tally_dev.localcloud.sam_adapter import HttpApiEmulator, SamTemplate

Answer = Callable[[str, dict[str, Any]], Invocation]


def allow_everyone(function: str, event: dict[str, Any]) -> Invocation:
    """An authorizer that lets everyone in as demo's viewer; every other function answers 200 `{}`."""
    if event.get("type") == "REQUEST":
        context = {"authenticated": True, "user_id": "u-1", "org_id": "demo", "roles": "viewer"}
        return Invocation(function, "r", payload=json.dumps({"isAuthorized": True, "context": context}))
    return Invocation(function, "r", payload=json.dumps({"statusCode": 200, "body": "{}",
                                                         "headers": {"content-type": "application/json"}}))


@dataclass
class RecordingRunner:
    """Stands in for FunctionRunner: records each (function, event) and answers with `answer`."""

    answer: Answer = allow_everyone
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke_event(self, function_name: str, event: Any, request_id: str | None = None) -> Invocation:
        with self._lock:
            self.calls.append((function_name, json.loads(json.dumps(event))))
        return self.answer(function_name, event)

    def events_of(self, function_name: str) -> list[dict[str, Any]]:
        return [event for name, event in self.calls if name == function_name]

    def is_debugging(self) -> bool:
        return False


@dataclass
class Emulated:
    runner: RecordingRunner
    client: Any  # Flask test client


def emulate(template_path: Path, answer: Answer = allow_everyone, **kwargs: Any) -> Emulated:
    runner = RecordingRunner(answer)
    emulator = HttpApiEmulator(SamTemplate(template_path).api(), runner,  # type: ignore[arg-type]
                               host="127.0.0.1", port=3000, **kwargs)
    emulator.create()
    return Emulated(runner, emulator._app.test_client())
