"""Draining a dead-letter queue in a bounded job: the loop the re-drive jobs share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class RedriveReport:
    redriven: int = 0
    failed: int = 0
    remaining: bool = False  # stopped at the deadline with messages perhaps left


def redrive_messages(queue: Any, queue_url: str, handle: Callable[[dict[str, Any]], bool], *,
                     deadline: Callable[[], bool], max_messages: int) -> RedriveReport:
    """Hand up to `max_messages` messages to `handle`; one it handled (True) leaves the queue, one it could
    not (False) stays for the next run. A message received stays invisible for 5 minutes, so a job that
    dies part-way leaves nothing handled twice at once."""
    report = RedriveReport()
    while report.redriven + report.failed < max_messages:
        if deadline():
            report.remaining = True
            break
        messages = queue.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                         VisibilityTimeout=300).get("Messages", [])
        if not messages:
            break
        for message in messages:
            if not handle(message):
                report.failed += 1
                continue
            queue.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.redriven += 1
    return report
