"""One function's execution environment: a long-lived process that runs its handler, like a Lambda container.

Started by `runner.Worker` as `python worker.py REQUEST_FD RESPONSE_FD MODULE.ATTRIBUTE LIFELINE_FD
PARENT_PID` with the function's own environment, its code directory as the working directory and
`PYTHONPATH` = code directory + layers. It imports the handler once (the cold start), answers
`{"ready": true}` (or the init error), then serves invocations one at a time over two dedicated
pipes. stdout and stderr stay free for the handler's logs. It exits when the request pipe closes
(its runner stopped) and, even in the middle of an invocation, when the local cloud dies or closes
the lifeline (`watch_parent`, see `lifeline.py`).

Frames are a 4-byte big-endian length and a JSON document. Standard library only: this module
runs inside the function's environment, where nothing of the local cloud is importable.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import select
import signal
import struct
import sys
import threading
import time
import traceback
from typing import Any

_HEADER = struct.Struct(">I")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def watch_parent(lifeline_fd: int, parent_pid: int) -> None:
    """End this process when the local cloud (`parent_pid`) dies or closes the lifeline, whatever runs.

    The kernel kills us with our parent on Linux (`die_with_parent`); a thread blocked on the
    lifeline pipe exits the process at EOF everywhere.
    """
    die_with_parent(parent_pid)
    threading.Thread(target=_exit_at_eof, args=(lifeline_fd,), name="lifeline", daemon=True).start()


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies. The parent may have died before we
    asked: then our parent is already someone else, and we go now."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no libc to ask: the lifeline still holds
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def _exit_at_eof(fd: int) -> None:
    while True:
        try:
            if not os.read(fd, 1):  # nobody ever writes: this returns only at EOF
                break
        except InterruptedError:
            continue
        except OSError:
            break
    os._exit(1)


def write_frame(fd: int, document: dict[str, Any]) -> None:
    data = json.dumps(document, separators=(",", ":")).encode()
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_frame(fd: int, deadline: float | None = None) -> dict[str, Any]:
    """The next frame; EOFError when the other side closed, TimeoutError past `deadline` (monotonic)."""
    (size,) = _HEADER.unpack(read_exact(fd, _HEADER.size, deadline))
    document = json.loads(read_exact(fd, size, deadline))
    if not isinstance(document, dict):
        raise ValueError("a frame must hold a JSON object")
    return document


def read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        if deadline is not None:
            timeout = deadline - time.monotonic()
            if timeout <= 0 or not select.select([fd], [], [], timeout)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def lambda_error(error: BaseException, error_type: str | None = None, message: str | None = None) -> dict[str, Any]:
    """An error as the Lambda Python runtime reports it to the caller."""
    return {
        "errorMessage": message if message is not None else str(error),
        "errorType": error_type or type(error).__name__,
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


class LambdaContext:
    """The context object a Lambda Python handler receives (the attributes handlers and Powertools use)."""

    def __init__(self, *, request_id: str, deadline_ms: int) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{self.function_name}"
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", f"/aws/lambda/{self.function_name}")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self.aws_request_id = request_id
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _load_handler(spec: str) -> tuple[Any, dict[str, Any] | None]:
    module_name, _, attribute = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - like Lambda's runtime: any init error is reported
        traceback.print_exc()
        return None, lambda_error(error, "Runtime.ImportModuleError",
                                  f"Unable to import module '{module_name}': {error}")
    handler = getattr(module, attribute, None)
    if not callable(handler):
        missing = AttributeError(attribute)
        return None, lambda_error(missing, "Runtime.HandlerNotFound",
                                  f"Handler '{attribute}' missing on module '{module_name}'")
    return handler, None


def _invoke(handler: Any, request: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(request_id=request["request_id"], deadline_ms=int(request["deadline_ms"]))
    started = time.perf_counter()
    print(f"START RequestId: {context.aws_request_id} Version: {context.function_version}", flush=True)
    try:
        result = handler(request["event"], context)
        try:
            answer: dict[str, Any] = {"payload": json.dumps(result)}
        except (TypeError, ValueError) as error:
            answer = {"error": lambda_error(error, "Runtime.MarshalError",
                                            f"Unable to marshal response: {error}")}
    except Exception as error:  # noqa: BLE001 - like Lambda's runtime: any handler error is reported
        print(f"[ERROR] {type(error).__name__}: {error}", file=sys.stderr)
        traceback.print_exc()
        answer = {"error": lambda_error(error)}
    duration_ms = (time.perf_counter() - started) * 1000
    print(f"END RequestId: {context.aws_request_id}", flush=True)
    print(f"REPORT RequestId: {context.aws_request_id}\tDuration: {duration_ms:.2f} ms", flush=True)
    sys.stderr.flush()
    return answer


def main(argv: list[str]) -> int:
    request_fd, response_fd, handler_spec = int(argv[1]), int(argv[2]), argv[3]
    watch_parent(int(argv[4]), int(argv[5]))
    # Run as a script, Python put this file's folder first on sys.path; a function must not see it.
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    handler, init_error = _load_handler(handler_spec)
    sys.stdout.flush()
    write_frame(response_fd, {"ready": init_error is None, "error": init_error})
    if init_error is not None:
        return 1
    while True:
        try:
            request = read_frame(request_fd)
        except EOFError:  # the local cloud stopped: end like a Lambda sandbox, without a long shutdown
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        write_frame(response_fd, _invoke(handler, request))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
