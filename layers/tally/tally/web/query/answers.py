"""Settled answers: an overview or breakdown of sealed days, kept so the next identical query reads
a few small items instead of every day's rollups.

A range whose every day is sealed and current (no open hour, no raw event to read) has one answer
until one of its days is sealed again. The answer is stored with the digest of the (day, sealed
version) pairs it was computed from — the same digest visitor spans carry — and a reader takes it
only when the day marks it reads anyway (strongly consistent) give the same digest. A late event
marks its day (the range is then not settled and nothing is read from here) and its reseal changes
the digest, so a stored answer is never served for data it was not computed from: it is only
replaced. Answers are therefore written without conditions, read eventually consistently, and
expire by TTL after a week unread-or-not (they are a cache: losing one costs one recomputation).

Why: a 30-day page breakdown must merge every value of every day (its cost grows with the site's
distinct pages); an overview of a large site unions two saturated visitor sketches (~6 KB each).
The settled answer of either is a handful of numbers per row, so an identical query — the
dashboard's comparison period, a past month, a shared link, a reload — costs the same for a site
with 1k events as for one with 1M.

Items live in the rollups table: `pk = <site>#answer`, `sk = <answer key>#<chunk>`. A breakdown's
rows are stored sorted, ROWS_PER_CHUNK to an item, so a page of `limit` rows reads only the
chunks it needs.
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from tally.platform.aws import DynamoTable, batch_get_eventually
from tally.platform.capacity import item_size

logger = Logger(child=True)

FORMAT = 1  # bump when an answer's shape or computation changes: old answers are then never read
ROWS_PER_CHUNK = 50
ANSWER_TTL_S = 7 * 86_400

Body = dict[str, Any]


def answer_partition(site_id: str) -> str:
    return f"{site_id}#answer"


def answer_key(*parts: str) -> str:
    """The name of one query's answer: what was asked, never who asked (tenancy is the partition's)."""
    text = json.dumps([FORMAT, *parts], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def chunks_of(offset: int, limit: int) -> list[int]:
    """The chunk numbers holding rows [offset, offset + limit)."""
    return list(range(offset // ROWS_PER_CHUNK, (offset + limit - 1) // ROWS_PER_CHUNK + 1))


class AnswerStore(DynamoTable):
    def __init__(self, table_name: str, client: Any | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(table_name, client)
        self.clock = clock
        self.read_units = 0.0
        self.write_units = 0.0

    @staticmethod
    def _key(site_id: str, key: str, chunk: int) -> dict[str, Any]:
        return {"pk": {"S": answer_partition(site_id)}, "sk": {"S": f"{key}#{chunk:05d}"}}

    def get(self, site_id: str, key: str, digest: str, chunks: Sequence[int]) -> dict[int, Body]:
        """The answer's `chunks` that exist and were computed from the sealed versions `digest` names,
        by chunk number; a chunk missing or computed from other versions is left out (a miss)."""
        items, units = batch_get_eventually(self.client, self.table_name,
                                            [self._key(site_id, key, chunk) for chunk in dict.fromkeys(chunks)])
        self.read_units += units
        found: dict[int, Body] = {}
        for item in items:
            if item.get("dg", {}).get("S") == digest:
                found[int(item["sk"]["S"].rsplit("#", 1)[1])] = json.loads(zlib.decompress(bytes(item["b"]["B"])))
        return found

    def put(self, site_id: str, key: str, digest: str, bodies: Sequence[Body]) -> None:
        """Store an answer's chunks. A failure is logged, not raised: the caller has its answer already."""
        expires = int(self.clock()) + ANSWER_TTL_S
        try:
            for chunk, body in enumerate(bodies):
                item = {**self._key(site_id, key, chunk), "dg": {"S": digest}, "x": {"N": str(expires)},
                        "b": {"B": zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)}}
                self.client.put_item(TableName=self.table_name, Item=item)
                self.write_units += -(-item_size(item) // 1024)
        except Exception as error:
            if not type(error).__module__.startswith("botocore"):
                raise  # a bug, not the service refusing: let it be seen
            # botocore is not imported here for its exception classes: the handler's cold import stays small
            logger.warning("a settled answer was not stored; the next identical query computes it again",
                           exc_info=True)


@dataclass(frozen=True)
class SettledRange:
    """A settled range of one site: its answers are kept under the digest of its sealed days."""

    store: AnswerStore
    site_id: str
    digest: str

    def get(self, key: str, chunks: Sequence[int]) -> dict[int, Body]:
        return self.store.get(self.site_id, key, self.digest, chunks)

    def put(self, key: str, bodies: Sequence[Body]) -> None:
        self.store.put(self.site_id, key, self.digest, bodies)
