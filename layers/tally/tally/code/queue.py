"""The mining queue: each message is one step of a run (`{org_id, codebase_id, run_id, step}`)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

#: SQS caps a message's visibility timeout at 12 hours.
MAX_VISIBILITY_S = 43_200

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


@dataclass(frozen=True)
class StepMessage:
    org_id: str
    codebase_id: str
    run_id: str
    step: int

    @classmethod
    def parse(cls, body: str) -> StepMessage:
        data: dict[str, Any] = json.loads(body)
        return cls(str(data["org_id"]), str(data["codebase_id"]), str(data["run_id"]), int(data["step"]))

    def next(self) -> StepMessage:
        return StepMessage(self.org_id, self.codebase_id, self.run_id, self.step + 1)


class MiningQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self.client = client
        self.queue_url = queue_url

    def send(self, message: StepMessage) -> None:
        if not self.queue_url:
            raise RuntimeError("this function has no MINING_QUEUE_URL")
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(asdict(message)))

    def hold(self, receipt_handle: str, seconds: float) -> None:
        """Keep a received message invisible for `seconds` from now (a busy step: until its claim lapses)."""
        if not self.queue_url:
            raise RuntimeError("this function has no MINING_QUEUE_URL")
        self.client.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt_handle,
                                              VisibilityTimeout=max(0, min(MAX_VISIBILITY_S, math.ceil(seconds))))
