"""Run work on every core with forked processes and pipes (Lambda has no /dev/shm, so no Pool or Queue)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def parallel_map(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`[function(item) for item in items]`, one forked process per item beyond the first.

    The first item runs in this process; an exception in any child is raised here.
    """
    if len(items) <= 1:
        return [function(item) for item in items]
    context = multiprocessing.get_context("fork")
    children: list[tuple[Any, Any]] = []
    for item in items[1:]:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(function, item, send), daemon=True)
        process.start()
        send.close()
        children.append((process, receive))
    results = [function(items[0])]
    for process, receive in children:
        try:
            ok, value = pickle.loads(receive.recv_bytes())  # noqa: S301 - our own forked child's answer
        except EOFError:
            ok, value = False, RuntimeError(f"a mining worker died (exit code {process.exitcode})")
        finally:
            receive.close()
            process.join()
        if not ok:
            raise value
        results.append(value)
    return results


def _child(function: Callable[[Any], Any], item: Any, send: Any) -> None:
    try:
        payload = pickle.dumps((True, function(item)))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        payload = pickle.dumps((False, error))
    send.send_bytes(payload)
    send.close()
    os._exit(0)
