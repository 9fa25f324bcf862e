"""Powertools logger, metrics and tracer, configured the same way in every function.

Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE in
the template; nothing here opens a connection. The tracer is built on the first traced call:
Powertools' Tracer loads the X-Ray SDK, which imports botocore (a third of a second of CPU), and a
handler's import should stay as lean as `import boto3` (docs/design.md's cold-import budget). The first
request pays it instead, at the moment it needs botocore for its own clients anyway.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

F = TypeVar("F", bound=Callable[..., Any])

logger = Logger()
metrics = Metrics()


class LazyTracer:
    """A stand-in for Powertools' `Tracer` whose decorators build the real tracer on first call."""

    def __init__(self) -> None:
        self._tracer: Any = None

    @property
    def tracer(self) -> Any:
        if self._tracer is None:
            from aws_lambda_powertools import Tracer

            self._tracer = Tracer()
        return self._tracer

    def _lazily(self, decorate: Callable[[Any, F], F], function: F) -> F:
        wrapped: list[Callable[..., Any]] = []

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            if not wrapped:
                wrapped.append(decorate(self.tracer, function))
            return wrapped[0](*args, **kwargs)

        return call  # type: ignore[return-value]

    def capture_lambda_handler(self, function: F) -> F:
        return self._lazily(lambda tracer, fn: tracer.capture_lambda_handler(fn), function)

    def capture_method(self, function: F) -> F:
        return self._lazily(lambda tracer, fn: tracer.capture_method(fn), function)


tracer = LazyTracer()
