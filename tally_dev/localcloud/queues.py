"""An SQS poller per `SQS` event source: Lambda's event-source mapping, on moto's queues.

It receives up to BatchSize messages (10 per `ReceiveMessage`, more only within
MaximumBatchingWindowInSeconds on the accelerated clock), delivers them as one batch, then deletes
what succeeded: every message, or with `ReportBatchItemFailures` every message not reported as
failed. Failed messages stay in flight until their visibility timeout runs out (shortened by the
acceleration factor) and are received again; the queue's own redrive policy moves a message that
was received maxReceiveCount times to its dead-letter queue (moto does that on receive, as SQS
does). `ScalingConfig.MaximumConcurrency` pollers run side by side (one without it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from tally_dev.localcloud.batches import Answer, settle_queue_batch
from tally_dev.localcloud.event_sources import QueueSource
from tally_dev.localcloud.pollers import Poll, Poller
from tally_dev.localcloud.records import sqs_record
from tally_dev.localcloud.resources import Queue

#: ReceiveMessage returns at most this many messages per call.
RECEIVE_LIMIT = 10


class QueuePoller(Poller):
    """One poller of the event-source mapping of one `SQS` event."""

    def __init__(self, source: QueueSource, *, queue: Queue, client: Any,
                 deliver: Callable[[QueueSource, list[dict[str, Any]]], Answer | None],
                 stopping: threading.Event, accelerate: float = 1.0, index: int = 0) -> None:
        super().__init__(stopping=stopping, accelerate=accelerate)
        self.name = f"queue-{source.key}-{index}"
        self.source = source
        self.queue = queue
        self._client = client
        self._deliver = deliver
        attributes = client.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["VisibilityTimeout"])
        self.visibility_timeout_s = int(attributes["Attributes"].get("VisibilityTimeout", 30))

    def _receive(self, count: int) -> list[dict[str, Any]]:
        answer = self._client.receive_message(QueueUrl=self.queue.url, MaxNumberOfMessages=min(RECEIVE_LIMIT, count),
                                              AttributeNames=["All"], MessageAttributeNames=["All"],
                                              WaitTimeSeconds=0)
        return list(answer.get("Messages", []))

    def _gather(self) -> list[dict[str, Any]]:
        messages = self._receive(self.source.batch_size)
        if not messages or self.source.batching_window_s <= 0:
            return messages
        deadline = time.monotonic() + self.source.batching_window_s / self.accelerate
        while len(messages) < self.source.batch_size and time.monotonic() < deadline:
            more = self._receive(self.source.batch_size - len(messages))
            messages.extend(more)
            if not more and self.stopping.wait(min(self.interval_s, max(0.0, deadline - time.monotonic()))):
                break
        return messages

    def poll_once(self) -> Poll:
        messages = self._gather()
        if not messages:
            return Poll.WAITING if self._in_flight() else Poll.IDLE
        records = [sqs_record(m, self.queue.arn) for m in messages]
        answer = self._deliver(self.source, records)
        if answer is None:  # stopping: leave the messages to their visibility timeout
            return Poll.IDLE
        ids = [m["MessageId"] for m in messages]
        handles = {m["MessageId"]: m["ReceiptHandle"] for m in messages}
        done = settle_queue_batch(answer, ids)
        self._batch("delete_message_batch", [{"Id": str(i), "ReceiptHandle": handles[m]} for i, m in enumerate(done)])
        if self.accelerate > 1:
            timeout = int(self.visibility_timeout_s / self.accelerate)
            failed = [m for m in ids if m not in set(done)]
            self._batch("change_message_visibility_batch", [
                {"Id": str(i), "ReceiptHandle": handles[m], "VisibilityTimeout": timeout}
                for i, m in enumerate(failed)])
        return Poll.BUSY

    def _batch(self, operation: str, entries: list[dict[str, Any]]) -> None:
        for start in range(0, len(entries), RECEIVE_LIMIT):
            getattr(self._client, operation)(QueueUrl=self.queue.url, Entries=entries[start:start + RECEIVE_LIMIT])

    def _in_flight(self) -> bool:
        """Messages received but neither deleted nor visible again yet, or delayed."""
        attributes = self._client.get_queue_attributes(
            QueueUrl=self.queue.url,
            AttributeNames=["ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        return any(int(v) > 0 for v in attributes.values())
