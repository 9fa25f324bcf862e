"""Re-driving access-log batches the usage recorder kept failing, from its dead-letter queue.

CloudWatch Logs invokes the recorder asynchronously; after Lambda's retries a failed batch's invocation
record (the whole `awslogs` event as `requestPayload`) lands in `UsageRecorderDlq`. A scheduled job
reads a bounded number of them and records each again: the recorder is idempotent, so a batch partly
recorded before it failed counts once. A batch that fails again stays queued for the next run (its
failure is the same ledger entry as the first: `usage-batch#<id>`, counted once).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.dead_letters import RedriveReport, redrive_messages
from tally.usage.recorder import Outcome, UsageRecorder
from tally.usage.records import RequestRecord


@dataclass(frozen=True)
class LogBatch:
    """One delivery of access-log lines: its id (from its log events' ids) and the requests in it."""

    batch_id: str
    lines: int
    records: list[RequestRecord]

    @property
    def failure_id(self) -> str:
        return f"usage-batch#{self.batch_id}"

    @classmethod
    def of(cls, awslogs_event: Mapping[str, Any]) -> LogBatch:
        events = CloudWatchLogsEvent(dict(awslogs_event)).parse_logs_data().log_events
        batch_id = hashlib.sha256("|".join(e.get_id for e in events).encode()).hexdigest()[:32]
        records = [r for r in (RequestRecord.parse(e.message) for e in events) if r is not None]
        return cls(batch_id=batch_id, lines=len(events), records=records)


def record_batch(recorder: UsageRecorder, batch: LogBatch) -> Outcome:
    """Record a batch; a failure is counted once per batch in the ledger (kind `usage`) and raised."""
    try:
        return recorder.record(batch.records)
    except Exception as error:
        record_failure(OpsKind.usage, "record usage", error, failure_id=batch.failure_id)
        raise


def redrive(queue: Any, queue_url: str, recorder: UsageRecorder, *, deadline: Callable[[], bool],
            max_messages: int) -> RedriveReport:
    """Record up to `max_messages` dead-lettered batches again; each recorded one leaves the queue."""

    def record_again(message: dict[str, Any]) -> bool:
        try:
            record_batch(recorder, LogBatch.of(json.loads(message["Body"])["requestPayload"]))
        except Exception:  # noqa: BLE001 - counted in the ledger; the message stays for the next run
            return False
        return True

    return redrive_messages(queue, queue_url, record_again, deadline=deadline, max_messages=max_messages)
