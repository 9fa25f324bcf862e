"""Configuration and stores of the stats API, built on first use (never at import)."""

from __future__ import annotations

import time
from functools import cache

from pydantic_settings import BaseSettings

from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.seal_requests import SealRequests
from tally.web.aggregate.spans import SpanStore
from tally.web.query.answers import AnswerStore
from tally.web.query.range_plan import DynamoMarkReader
from tally.web.query.reader import StatsSources


class StatsSettings(BaseSettings):
    events_table: str
    rollups_table: str
    #: the most raw events (of hours not sealed yet) one query reads; past it the answer is
    #: incomplete and says so (see tally.web.query.completeness)
    raw_events_per_query: int = 10_000


@cache
def stats_settings() -> StatsSettings:
    return StatsSettings()  # filled from the environment


def stats_sources() -> StatsSources:
    """Fresh read counters per request; the boto3 client underneath is created once per container."""
    from tally.platform.aws import dynamodb_client

    settings = stats_settings()
    client = dynamodb_client()
    return StatsSources(marks=DynamoMarkReader(settings.rollups_table, client),
                        rollups=RollupStore(settings.rollups_table, client),
                        raw=RawEventStore(settings.events_table, client),
                        spans=SpanStore(settings.rollups_table, client),
                        answers=AnswerStore(settings.rollups_table, client),
                        now_ms=lambda: int(time.time() * 1000),
                        raw_limit=settings.raw_events_per_query,
                        seal_requests=SealRequests(settings.rollups_table, client))
