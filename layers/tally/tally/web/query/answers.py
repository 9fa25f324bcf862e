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

A range reaching today is never settled, but its sealed days are: a breakdown of it keeps those
days' merged values — counters and visitor sketches (`encode_values`), so today's visitors can be
unioned with them — under the digest of those days, and reads today on top.

Items live in the rollups table: `pk = <site>#answer`, `sk = <answer key>#<part>`, each part with
the answer's part count. A breakdown's rows are stored sorted, ROWS_PER_CHUNK to a part, so a page
of `limit` rows reads only the parts it needs.
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
from tally.web.aggregate.rollup import Stats
from tally.web.aggregate.sketch import VisitorSketch

logger = Logger(child=True)

FORMAT = 3  # bump when an answer's shape or computation changes: old answers are then never read
ROWS_PER_CHUNK = 50
ANSWER_TTL_S = 7 * 86_400
PART_BYTES = 256 * 1024

Body = dict[str, Any]


def answer_partition(site_id: str) -> str:
    return f"{site_id}#answer"


def answer_key(*parts: str) -> str:
    """The name of one query's answer: what was asked, never who asked (tenancy is the partition's)."""
    text = json.dumps([FORMAT, *parts], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def encode_values(values: dict[str, Stats]) -> list[bytes]:
    """A property's values with their counters and visitor sketches, in parts of at most ~PART_BYTES
    (an item holds 400 KB): a JSON header of the values and counters, then their sketches."""
    parts: list[bytes] = []
    header: list[list[Any]] = []
    sketches: list[bytes] = []
    size = 0

    def close() -> None:
        head = json.dumps(header, separators=(",", ":")).encode()
        parts.append(len(head).to_bytes(4, "big") + head + b"".join(sketches))

    for value, stats in sorted(values.items()):
        sketch = stats.visitors.to_bytes()
        if header and size + len(sketch) + len(value) > PART_BYTES:
            close()
            header, sketches, size = [], [], 0
        header.append([value, *stats.counts(), len(sketch)])
        sketches.append(sketch)
        size += len(sketch) + len(value) + 40
    close()
    return parts


def decode_values(parts: Sequence[bytes]) -> dict[str, Stats]:
    values: dict[str, Stats] = {}
    for part in parts:
        head_size = int.from_bytes(part[:4], "big")
        at = 4 + head_size
        for value, pageviews, events, visits, bounces, duration_ms, length in json.loads(part[4:at]):
            values[value] = Stats(pageviews, events, visits, bounces, duration_ms,
                                  VisitorSketch.from_bytes(part[at:at + length]))
            at += length
    return values


def chunks_of(offset: int, limit: int) -> list[int]:
    """The chunk numbers holding rows [offset, offset + limit)."""
    return list(range(offset // ROWS_PER_CHUNK, (offset + limit - 1) // ROWS_PER_CHUNK + 1))


class AnswerStore(DynamoTable):
    """Kept answers: each a list of parts (bytes, stored compressed), all under one digest."""

    def __init__(self, table_name: str, client: Any | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(table_name, client)
        self.clock = clock
        self.read_units = 0.0
        self.write_units = 0.0

    @staticmethod
    def _key(site_id: str, key: str, part: int) -> dict[str, Any]:
        return {"pk": {"S": answer_partition(site_id)}, "sk": {"S": f"{key}#{part:05d}"}}

    def get_parts(self, site_id: str, key: str, digest: str, parts: Sequence[int]) -> dict[int, tuple[bytes, int]]:
        """The answer's `parts` that exist and were computed from the sealed versions `digest` names,
        by number, each with the answer's part count; one missing or computed from other versions is
        left out (a miss)."""
        items, units = batch_get_eventually(self.client, self.table_name,
                                            [self._key(site_id, key, part) for part in dict.fromkeys(parts)])
        self.read_units += units
        return {int(item["sk"]["S"].rsplit("#", 1)[1]): (zlib.decompress(bytes(item["b"]["B"])), int(item["of"]["N"]))
                for item in items if item.get("dg", {}).get("S") == digest and "of" in item}

    def get_all(self, site_id: str, key: str, digest: str) -> list[bytes] | None:
        """Every part of the answer (the first read alone, then the rest), or None on a miss."""
        first = self.get_parts(site_id, key, digest, [0])
        if 0 not in first:
            return None
        data, count = first[0]
        rest = self.get_parts(site_id, key, digest, range(1, count)) if count > 1 else {}
        if any(part not in rest for part in range(1, count)):
            return None
        return [data, *(rest[part][0] for part in range(1, count))]

    def put_parts(self, site_id: str, key: str, digest: str, parts: Sequence[bytes]) -> None:
        """Store an answer's parts. A failure is logged, not raised: the caller has its answer already."""
        expires = int(self.clock()) + ANSWER_TTL_S
        try:
            for number, data in enumerate(parts):
                item = {**self._key(site_id, key, number), "dg": {"S": digest}, "x": {"N": str(expires)},
                        "of": {"N": str(len(parts))}, "b": {"B": zlib.compress(data, 6)}}
                self.client.put_item(TableName=self.table_name, Item=item)
                self.write_units += -(-item_size(item) // 1024)
        except Exception as error:
            if not type(error).__module__.startswith("botocore"):
                raise  # a bug, not the service refusing: let it be seen
            # botocore is not imported here for its exception classes: the handler's cold import stays small
            logger.warning("a settled answer was not stored; the next identical query computes it again",
                           exc_info=True)

    def get(self, site_id: str, key: str, digest: str, chunks: Sequence[int]) -> dict[int, Body]:
        """JSON parts (`chunks`) of an answer, by number; see `get_parts`."""
        return {part: json.loads(data) for part, (data, _) in self.get_parts(site_id, key, digest, chunks).items()}

    def put(self, site_id: str, key: str, digest: str, bodies: Sequence[Body]) -> None:
        self.put_parts(site_id, key, digest, [json.dumps(body, separators=(",", ":")).encode() for body in bodies])


@dataclass(frozen=True)
class SettledRange:
    """Sealed, current days of one site: answers computed from them are kept under their digest."""

    store: AnswerStore
    site_id: str
    digest: str

    def get(self, key: str, chunks: Sequence[int]) -> dict[int, Body]:
        return self.store.get(self.site_id, key, self.digest, chunks)

    def put(self, key: str, bodies: Sequence[Body]) -> None:
        self.store.put(self.site_id, key, self.digest, bodies)

    def get_all(self, key: str) -> list[bytes] | None:
        return self.store.get_all(self.site_id, key, self.digest)

    def put_parts(self, key: str, parts: Sequence[bytes]) -> None:
        self.store.put_parts(self.site_id, key, self.digest, parts)
