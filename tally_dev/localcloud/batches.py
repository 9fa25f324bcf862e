"""How a Lambda event-source mapping reads a function's answer to a batch, and retries a stream batch.

Pure logic, driven by an `invoke` callable, so every rule is tested without moto or workers:

- `read_answer`: Lambda's reading of a response. With `ReportBatchItemFailures`, an empty or null
  `batchItemFailures` (or no response) is a success; an item identifier that is empty, null, under
  the wrong key or not in the batch makes the whole batch a failure; otherwise the listed items
  failed. An invocation error (exception, crash, timeout) is a function error.
- `run_stream_batch`: one batch of one shard, in order. A partial failure checkpoints at the lowest
  failed sequence number and retries from there; a function error bisects the batch when
  `BisectBatchOnFunctionError` is on (bisecting consumes no retry) and otherwise retries it whole;
  after `MaximumRetryAttempts` retries, or once records are older than `MaximumRecordAgeInSeconds`,
  the records are discarded to the OnFailure destination and the shard moves on.
- `settle_queue_batch`: for SQS, which messages to delete (the rest become visible again after
  their visibility timeout, and the queue's redrive policy moves them to its dead-letter queue).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tally_dev.localcloud.records import sequence_number
from tally_dev.localcloud.runner import Invocation

RETRY_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"
#: Lambda caps an invocation's payload at 6 MB; a batch stops growing before it.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """A function's answer to one batch, as the event-source mapping reads it."""

    kind: Literal["ok", "partial", "invalid", "error"]
    failed: tuple[str, ...] = ()  # item identifiers reported as failed ("partial")
    request_id: str = ""
    error_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def read_answer(invocation: Invocation, ids: Sequence[str], report_batch_item_failures: bool) -> Answer:
    """Lambda's reading of `invocation` for a batch whose item identifiers are `ids`."""
    if not invocation.ok:
        error_type = (invocation.error or {}).get("errorType")
        return Answer("error", request_id=invocation.request_id, error_type=error_type)
    if not report_batch_item_failures:
        return Answer("ok", request_id=invocation.request_id)
    try:
        payload = json.loads(invocation.payload) if invocation.payload is not None else None
    except ValueError:
        return Answer("invalid", request_id=invocation.request_id)
    failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
    if failures is None or failures == []:
        return Answer("ok", request_id=invocation.request_id)
    known = set(ids)
    if not isinstance(failures, list):
        return Answer("invalid", request_id=invocation.request_id)
    failed = []
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            return Answer("invalid", request_id=invocation.request_id)
        failed.append(identifier)
    return Answer("partial", tuple(failed), request_id=invocation.request_id)


@dataclass(frozen=True)
class StreamPolicy:
    """The settings of a stream mapping that decide what happens after a failure."""

    bisect_on_error: bool = False
    max_retries: int | None = None  # None: until the record expires
    max_record_age_s: int | None = None
    report_batch_item_failures: bool = False

    def exhausted(self, retries: int) -> bool:
        return self.max_retries is not None and retries > self.max_retries


@dataclass(frozen=True)
class Discarded:
    """Records a stream mapping gave up on, for its OnFailure destination."""

    records: list[dict[str, Any]]
    condition: str
    invoke_count: int
    function_error: str | None
    request_id: str


@dataclass
class _Part:
    records: list[dict[str, Any]]
    retries: int = 0
    invokes: int = 0
    last_request_id: str = ""


def _created(record: dict[str, Any]) -> float | None:
    value = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    return float(value) if isinstance(value, int | float) else None


def _expired_prefix(records: list[dict[str, Any]], max_age_s: int | None, now: float) -> int:
    if max_age_s is None:
        return 0
    count = 0
    for record in records:
        created = _created(record)
        if created is None or now - created <= max_age_s:
            break
        count += 1
    return count


def run_stream_batch(records: Sequence[dict[str, Any]], policy: StreamPolicy,
                     invoke: Callable[[list[dict[str, Any]]], Answer | None], *,
                     discard: Callable[[Discarded], None], wait_retry: Callable[[int], bool],
                     now: Callable[[], float] = time.time) -> int:
    """Deliver one in-order batch of one shard as Lambda does; the number of records done with.

    `invoke` returns None when the local cloud is stopping; `wait_retry(retries)` waits before a
    retry and returns False when stopping. Either stops the batch: fewer records are done.
    """
    parts = deque([_Part(list(records))])
    done = 0
    while parts:
        part = parts[0]
        expired = _expired_prefix(part.records, policy.max_record_age_s, now())
        if expired:
            discard(Discarded(part.records[:expired], RECORD_AGE_EXCEEDED, part.invokes, None, part.last_request_id))
            done += expired
            part.records = part.records[expired:]
            if not part.records:
                parts.popleft()
            continue
        answer = invoke(part.records)
        if answer is None:
            return done
        part.invokes += 1
        part.last_request_id = answer.request_id
        if answer.ok:
            done += len(part.records)
            parts.popleft()
            continue
        if answer.kind == "partial":
            numbers = [int(sequence_number(r)) for r in part.records]
            checkpoint = numbers.index(min(int(identifier) for identifier in answer.failed))
            done += checkpoint
            part.records = part.records[checkpoint:]
        elif answer.kind == "error" and policy.bisect_on_error and len(part.records) > 1:
            middle = len(part.records) // 2
            halves = (part.records[:middle], part.records[middle:])
            parts.popleft()
            parts.extendleft(reversed([_Part(h, part.retries, part.invokes, part.last_request_id) for h in halves]))
            continue
        part.retries += 1
        if policy.exhausted(part.retries):
            error = "Unhandled" if answer.kind == "error" else None
            discard(Discarded(part.records, RETRY_EXHAUSTED, part.invokes, error, part.last_request_id))
            done += len(part.records)
            parts.popleft()
            continue
        if not wait_retry(part.retries):
            return done
    return done


def settle_queue_batch(answer: Answer, ids: Sequence[str]) -> list[str]:
    """The messages (by id) an SQS mapping deletes after `answer`: all, all but the failed, or none."""
    if answer.ok:
        return list(ids)
    if answer.kind == "partial":
        failed = set(answer.failed)
        return [i for i in ids if i not in failed]
    return []


def take_batch(buffer: Sequence[dict[str, Any]], batch_size: int, max_bytes: int = MAX_PAYLOAD_BYTES) -> int:
    """How many records from the start of `buffer` make the next batch (by count and payload size)."""
    size = 2
    count = 0
    for record in buffer[:batch_size]:
        size += len(json.dumps(record)) + 1
        if count and size > max_bytes:
            break
        count += 1
    return count
