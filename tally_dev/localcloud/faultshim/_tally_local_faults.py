"""The fault shim: wraps a function's handler in its worker when the local cloud runs with faults=True.

Imported by the worker as the handler module instead of the function's own (standard library
only, plus botocore when the function has it). It imports the real handler named in
TALLY_LOCAL_FAULTS_HANDLER, and for each invocation looks for a directive file
`TALLY_LOCAL_FAULTS_DIR/<request id>.json` (written by `tally_dev.localcloud.faults`). Without
one the real handler runs untouched. With `{"crash_after_calls": n}` the process kills itself
(SIGKILL, as an out-of-memory kill or a lost host would) right after the handler's n-th AWS API
call returns, or before the handler runs when n is 0: a crash between two writes. With
`{"crash_after_call": {"operation": "PutObject", "contains": "/checkpoint"}}` it dies right after
the first call of that operation whose parameters, as JSON, contain that text.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
from typing import Any

_module_name, _, _attribute = os.environ["TALLY_LOCAL_FAULTS_HANDLER"].rpartition(".")
_real_handler = getattr(importlib.import_module(_module_name), _attribute)
_DIRECTORY = os.environ["TALLY_LOCAL_FAULTS_DIR"]


def _crash(after: int) -> None:
    print(f"[local cloud] injected crash after {after} AWS call(s): killing this worker", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _directive(request_id: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(_DIRECTORY, f"{request_id}.json")) as file:
            document = json.load(file)
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _is_the_call(call: dict[str, Any] | None, operation_name: str, api_params: Any) -> bool:
    if call is None or operation_name != call.get("operation"):
        return False
    return str(call.get("contains", "")) in json.dumps(api_params, default=str, sort_keys=True)


def _run_crashing(after: int, event: Any, context: Any, call: dict[str, Any] | None = None) -> Any:
    if after <= 0 and call is None:
        _crash(0)
    from botocore.client import BaseClient

    original = BaseClient._make_api_call  # type: ignore[attr-defined]
    calls = 0

    def counted(self: Any, operation_name: str, api_params: Any) -> Any:
        nonlocal calls
        try:
            return original(self, operation_name, api_params)
        finally:
            calls += 1
            if (call is None and calls >= after) or _is_the_call(call, operation_name, api_params):
                _crash(calls)

    BaseClient._make_api_call = counted  # type: ignore[attr-defined]
    try:
        return _real_handler(event, context)
    finally:
        BaseClient._make_api_call = original  # type: ignore[attr-defined]


def handler(event: Any, context: Any) -> Any:
    directive = _directive(context.aws_request_id)
    if directive is None:
        return _real_handler(event, context)
    call = directive.get("crash_after_call")
    return _run_crashing(int(directive.get("crash_after_calls", 0)), event, context,
                         call if isinstance(call, dict) else None)
