"""A DynamoDB-stream poller per `DynamoDB` event source: Lambda's event-source mapping, on moto's streams.

It reads every shard of the stream with `GetRecords` (from TRIM_HORIZON or LATEST, as the
mapping's StartingPosition says), buffers records until a batch is full (BatchSize, 6 MB) or the
batching window (MaximumBatchingWindowInSeconds, on the accelerated clock) has passed since the
first of them was read, and hands each batch, in order and one at a time per shard, to
`batches.run_stream_batch`, which applies partial batch failures, bisection, retries and the
discarding of records to the OnFailure destination. The shard's checkpoint only moves past
records that are done with; a stopped cloud simply forgets it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tally_dev.localcloud.batches import Answer, Discarded, StreamPolicy, run_stream_batch, take_batch
from tally_dev.localcloud.event_sources import StreamSource
from tally_dev.localcloud.pollers import Poll, Poller
from tally_dev.localcloud.records import stream_record

#: GetRecords returns at most this many records per call.
GET_RECORDS_LIMIT = 1000
#: How often (real seconds) the poller looks for new shards.
SHARD_REFRESH_S = 5.0


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    buffer: list[dict[str, Any]] = field(default_factory=list)
    first_seen: float | None = None


class StreamPoller(Poller):
    """The event-source mapping of one `DynamoDB` event."""

    def __init__(self, source: StreamSource, *, stream_arn: str, client: Any,
                 deliver: Callable[[StreamSource, list[dict[str, Any]]], Answer | None],
                 discard: Callable[[StreamSource, str, Discarded], None],
                 stopping: threading.Event, accelerate: float = 1.0) -> None:
        super().__init__(stopping=stopping, accelerate=accelerate)
        self.name = f"stream-{source.key}"
        self.source = source
        self.stream_arn = stream_arn
        self.policy = StreamPolicy(bisect_on_error=source.bisect_on_error, max_retries=source.max_retries,
                                   max_record_age_s=source.max_record_age_s,
                                   report_batch_item_failures=source.report_batch_item_failures)
        self._client = client
        self._deliver = deliver
        self._discard = discard
        self._shards: dict[str, _Shard] = {}
        self._refreshed_at: float | None = None
        self._open_shards(source.starting_position)  # at creation, as the mapping is: LATEST means "from now"

    def _open_shards(self, position: str) -> None:
        description = self._client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._shards:
                continue
            iterator = self._client.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id,
                                                       ShardIteratorType=position)["ShardIterator"]
            self._shards[shard_id] = _Shard(shard_id, iterator)
        self._refreshed_at = time.monotonic()

    def poll_once(self) -> Poll:
        if self._refreshed_at is None or time.monotonic() - self._refreshed_at > SHARD_REFRESH_S:
            self._open_shards("TRIM_HORIZON")  # a shard found later is read from its start
        outcome = Poll.IDLE
        for shard in list(self._shards.values()):
            if self.stopping.is_set():
                return Poll.IDLE
            shard_outcome = self._poll_shard(shard)
            if shard_outcome is Poll.BUSY or (shard_outcome is Poll.WAITING and outcome is Poll.IDLE):
                outcome = shard_outcome
        return outcome

    def _fetch(self, shard: _Shard) -> None:
        if shard.iterator is None or len(shard.buffer) >= self.source.batch_size:
            return
        page = self._client.get_records(ShardIterator=shard.iterator, Limit=GET_RECORDS_LIMIT)
        shard.iterator = page.get("NextShardIterator")
        records = [stream_record(raw, self.stream_arn) for raw in page.get("Records", [])]
        if records and not shard.buffer:
            shard.first_seen = time.monotonic()
        shard.buffer.extend(records)

    def _poll_shard(self, shard: _Shard) -> Poll:
        self._fetch(shard)
        if not shard.buffer:
            if shard.iterator is None:
                del self._shards[shard.shard_id]  # a closed shard, read to its end
            return Poll.IDLE
        waited = time.monotonic() - (shard.first_seen or time.monotonic())
        full = len(shard.buffer) >= self.source.batch_size
        if not full and waited < self.source.batching_window_s / self.accelerate and shard.iterator is not None:
            return Poll.WAITING
        count = take_batch(shard.buffer, self.source.batch_size)
        done = run_stream_batch(
            shard.buffer[:count], self.policy, lambda records: self._deliver(self.source, records),
            discard=lambda discarded: self._discard(self.source, shard.shard_id, discarded),
            wait_retry=lambda retries: not self.stopping.wait(self.retry_delay_s(retries)))
        del shard.buffer[:done]
        if not shard.buffer:
            shard.first_seen = None
        return Poll.BUSY
