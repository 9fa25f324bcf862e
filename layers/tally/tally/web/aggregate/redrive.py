"""Re-driving batches that kept failing aggregation: read their records back from the stream.

A DynamoDB-stream event source sends to its on-failure destination not the records but where
they are: the shard and the first and last sequence numbers. The retry job reads exactly those
records again (streams keep them 24 hours) and marks their buckets; marking is idempotent, so a
batch re-driven twice, or partly processed before it failed, counts once all the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.dead_letters import RedriveReport, redrive_messages
from tally.web.aggregate.marking import Aggregator, Change, stream_change


@dataclass(frozen=True)
class FailedBatch:
    stream_arn: str
    shard_id: str
    first_sequence: str
    last_sequence: str
    size: int

    @property
    def failure_id(self) -> str:
        return f"aggregation#{self.shard_id}#{self.first_sequence}"

    @classmethod
    def from_message(cls, body: str) -> FailedBatch:
        record = json.loads(body)
        info = record["DDBStreamBatchInfo"]
        return cls(stream_arn=info["streamArn"], shard_id=info["shardId"],
                   first_sequence=info["startSequenceNumber"], last_sequence=info["endSequenceNumber"],
                   size=int(info.get("batchSize", 0)))


def read_batch(streams: Any, batch: FailedBatch) -> Iterator[dict[str, Any]]:
    """The stream records from the batch's first to its last sequence number."""
    iterator = streams.get_shard_iterator(StreamArn=batch.stream_arn, ShardId=batch.shard_id,
                                          ShardIteratorType="AT_SEQUENCE_NUMBER",
                                          SequenceNumber=batch.first_sequence)["ShardIterator"]
    last = int(batch.last_sequence)
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in page["Records"]:
            if int(record["dynamodb"]["SequenceNumber"]) > last:
                return
            yield record
        if not page["Records"]:
            return
        iterator = page.get("NextShardIterator")


RetryReport = RedriveReport


def redrive(queue: Any, queue_url: str, streams: Any, aggregator: Aggregator, *, deadline: Callable[[], bool],
            max_messages: int) -> RetryReport:
    """Re-drive up to `max_messages` failed batches; each is recorded once as an aggregation failure."""

    def mark_again(message: dict[str, Any]) -> bool:
        batch = FailedBatch.from_message(message["Body"])
        record_failure(OpsKind.aggregation, "aggregate-stream-batch",
                       f"{batch.size} records failed aggregation and were sent to the dead-letter queue",
                       failure_id=batch.failure_id)
        try:
            changes = [c for c in map(stream_change, read_batch(streams, batch)) if c is not None]
            aggregator.mark(changes)
        except Exception as error:  # noqa: BLE001 - the message stays queued for the next run
            record_failure(OpsKind.job, "aggregation-retry", error,
                           failure_id=f"retry#{batch.failure_id}#{message.get('MessageId')}")
            return False
        return True

    return redrive_messages(queue, queue_url, mark_again, deadline=deadline, max_messages=max_messages)


__all__ = ["Change", "FailedBatch", "RetryReport", "read_batch", "redrive"]
