"""The HTTP API's access log and its subscription filters, as API Gateway and CloudWatch Logs run them.

The local API Gateway writes one line per request in the template's `AccessLogSettings.Format`
(`$context.*` variables filled in, `-` for a variable with no value) to the log group the settings
name. A `CloudWatchLogs` event of a function subscribes it to that group: a poller delivers the lines
that match its filter pattern in batches, as a real `awslogs` event (base64 gzip JSON), invoked
asynchronously as CloudWatch Logs does: retried as the function's EventInvokeConfig says (two retries
by default), then handed to `give_up`, which sends Lambda's invocation record to the function's
OnFailure destination when it has one (else the batch is dropped, as Lambda drops it). Like the stream and queue
pollers, it pauses, holds, settles and takes injected faults (`cloud.delivery`).
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from tally_dev.localcloud.event_sources import LogSubscription
from tally_dev.localcloud.pollers import Poll, Poller
from tally_dev.localcloud.runner import Invocation

#: Lines per delivered batch (CloudWatch Logs sends up to about 1 MB per invocation).
BATCH_LINES = 500
_VARIABLE = re.compile(r"\$context\.[A-Za-z0-9_.]+")
_CONDITION = re.compile(r'^\$\.([A-Za-z0-9_]+)\s*(=|!=)\s*"([^"]*)"$')


def access_log_context(event: Mapping[str, Any], status: int, latency_ms: float) -> dict[str, str]:
    """The `$context` variables of one request (those Tally's format uses and a few more)."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    values = {
        "requestId": context.get("requestId"), "requestTimeEpoch": context.get("timeEpoch"),
        "requestTime": context.get("time"), "routeKey": context.get("routeKey"), "status": status,
        "responseLatency": round(latency_ms), "httpMethod": http.get("method"), "path": http.get("path"),
        "protocol": http.get("protocol"), "identity.sourceIp": http.get("sourceIp"),
        "identity.userAgent": http.get("userAgent"), "stage": context.get("stage"),
        "apiId": context.get("apiId"), "domainName": context.get("domainName"),
    }
    for name, value in ((context.get("authorizer") or {}).get("lambda") or {}).items():
        values[f"authorizer.{name}"] = str(value).lower() if isinstance(value, bool) else value
    return {k: str(v) for k, v in values.items() if v is not None and str(v) != ""}


def format_line(log_format: str, values: Mapping[str, str]) -> str:
    """The format with each `$context.x` replaced by its value (JSON-escaped) or `-`."""
    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(0).removeprefix("$context."))
        return json.dumps(found)[1:-1] if found is not None else "-"

    return _VARIABLE.sub(value, log_format)


def matches(pattern: str, message: str) -> bool:
    """CloudWatch Logs' filter pattern: empty (everything) or JSON conditions `{ $.a = "x" && $.b != "y" }`."""
    text = pattern.strip()
    if not text:
        return True
    if not (text.startswith("{") and text.endswith("}")):
        raise ValueError(f"the local cloud reads only JSON filter patterns, not {pattern!r}")
    try:
        line = json.loads(message)
    except ValueError:
        return False
    if not isinstance(line, dict):
        return False
    for condition in text[1:-1].split("&&"):
        found = _CONDITION.match(condition.strip())
        if found is None:
            raise ValueError(f"the local cloud cannot read the filter condition {condition.strip()!r}")
        name, operator, expected = found.groups()
        actual = str(line.get(name, ""))
        if (actual == expected) != (operator == "="):
            return False
    return True


class LogGroup:
    """An append-only log group: lines with their ids and times, read by offset. Lines every reader
    has passed are forgotten, so a long `tally dev` session does not grow without bound."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stream = uuid.uuid4().hex
        self._lines: list[tuple[str, int, str]] = []
        self._base = 0  # offset of _lines[0]
        self._readers: dict[int, int] = {}
        self._lock = threading.Lock()

    def append(self, message: str, at_ms: int | None = None) -> None:
        with self._lock:
            moment = int(time.time() * 1000) if at_ms is None else at_ms
            offset = self._base + len(self._lines)
            self._lines.append((f"{moment:020d}{offset:016d}", moment, message))

    def subscribe(self) -> int:
        with self._lock:
            reader = len(self._readers)
            self._readers[reader] = self._base
            return reader

    def read(self, offset: int, limit: int) -> list[tuple[str, int, str]]:
        with self._lock:
            start = max(0, offset - self._base)
            return self._lines[start:start + limit]

    def passed(self, reader: int, offset: int) -> None:
        with self._lock:
            self._readers[reader] = offset
            upto = min(self._readers.values())
            if upto > self._base:
                del self._lines[:upto - self._base]
                self._base = upto

    def __len__(self) -> int:
        with self._lock:
            return self._base + len(self._lines)


def awslogs_event(group: LogGroup, subscription: str, lines: list[tuple[str, int, str]]) -> dict[str, Any]:
    data = {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": group.name,
            "logStream": group.stream, "subscriptionFilters": [subscription],
            "logEvents": [{"id": i, "timestamp": t, "message": m} for i, t, m in lines]}
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}


class LogSubscriptionPoller(Poller):
    """Delivers a log group's matching lines to the subscribed function, in order, in batches."""

    def __init__(self, source: LogSubscription, *, group: LogGroup,
                 deliver: Callable[[LogSubscription, dict[str, Any], list[tuple[str, int, str]]], Invocation | None],
                 give_up: Callable[[LogSubscription, dict[str, Any], Invocation, int], None],
                 stopping: threading.Event, accelerate: float = 1.0) -> None:
        super().__init__(stopping=stopping, accelerate=accelerate)
        self.name = f"logs-{source.key}"
        self.source = source
        self.group = group
        self._deliver = deliver
        self._give_up = give_up
        self._reader = group.subscribe()
        self._offset = 0

    def poll_once(self) -> Poll:
        lines = self.group.read(self._offset, BATCH_LINES)
        if not lines:
            return Poll.IDLE
        wanted = [line for line in lines if matches(self.source.filter_pattern, line[2])]
        if wanted:
            event = awslogs_event(self.group, f"{self.source.function}{self.source.name}", wanted)
            retries = self.source.async_retries
            for attempt in range(retries + 1):
                invocation = self._deliver(self.source, event, wanted)
                if invocation is None:  # stopping
                    return Poll.IDLE
                if invocation.ok:
                    break
                if attempt == retries:
                    self._give_up(self.source, event, invocation, attempt + 1)
                elif self.stopping.wait(self.retry_delay_s(attempt + 1)):
                    return Poll.IDLE
        self._offset += len(lines)
        self.group.passed(self._reader, self._offset)
        return Poll.BUSY
