"""Run work on every core with forked processes and pipes (Lambda has no /dev/shm, so no Pool or Queue)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class Forked(Generic[R]):
    """`function(item)` running in a forked process from construction; `result()` waits for it."""

    def __init__(self, function: Callable[[T], R], item: T) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(function, item, send), daemon=True)
        self._process.start()
        send.close()

    def result(self) -> R:
        """The child's return value; its exception is raised here."""
        try:
            ok, value = pickle.loads(self._receive.recv_bytes())  # noqa: S301 - our own forked child's answer
        except EOFError:
            ok, value = False, RuntimeError(f"a mining worker died (exit code {self._process.exitcode})")
        finally:
            self._receive.close()
            self._process.join()
        if not ok:
            raise value
        result: R = value
        return result

    def stop(self) -> None:
        """End the child early (its caller failed and will not read the result)."""
        self._process.kill()
        self._process.join()
        self._receive.close()


def parallel_map(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`[function(item) for item in items]`, one forked process per item beyond the first.

    The first item runs in this process; an exception in any child is raised here.
    """
    if len(items) <= 1:
        return [function(item) for item in items]
    children = [Forked(function, item) for item in items[1:]]
    try:
        first = function(items[0])
    except BaseException:
        for child in children:
            child.stop()
        raise
    results, failure = [first], None
    for child in children:  # every child is waited for, even after one failed
        try:
            results.append(child.result())
        except Exception as error:  # noqa: BLE001 - the first failure is raised below
            failure = failure or error
    if failure is not None:
        raise failure
    return results


def _child(function: Callable[[Any], Any], item: Any, send: Any) -> None:
    try:
        payload = pickle.dumps((True, function(item)))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        payload = pickle.dumps((False, error))
    send.send_bytes(payload)
    send.close()
    os._exit(0)
