"""The stats API's stores, built on first use (never at import)."""

from __future__ import annotations

import time

from tally.platform.aws import dynamodb_client
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.seal_requests import SealRequests
from tally.web.aggregate.spans import SpanStore
from tally.web.query.answers import AnswerStore
from tally.web.query.range_plan import DynamoMarkReader
from tally.web.query.reader import StatsSources
from tally.web.query.settings import stats_settings

#: The share of an invocation's remaining time a query may spend reading raw events.
RAW_READ_SHARE = 0.5


def stats_sources(time_left_ms: int | None = None) -> StatsSources:
    """Fresh read counters per request; the boto3 client underneath is created once per container.

    `time_left_ms` (the invocation's remaining time) bounds the raw reads in time too: a query
    stops reading raw events after RAW_READ_SHARE of it, and says what it left out.
    """
    settings = stats_settings()
    client = dynamodb_client()
    return StatsSources(marks=DynamoMarkReader(settings.rollups_table, client),
                        rollups=RollupStore(settings.rollups_table, client),
                        raw=RawEventStore(settings.events_table, client),
                        spans=SpanStore(settings.rollups_table, client),
                        answers=AnswerStore(settings.rollups_table, client),
                        now_ms=lambda: int(time.time() * 1000),
                        raw_limit=settings.raw_events_per_query,
                        read_until=(time.monotonic() + RAW_READ_SHARE * time_left_ms / 1000
                                    if time_left_ms is not None else None),
                        seal_requests=SealRequests(settings.rollups_table, client))
