"""The stats API's stores, built on first use (never at import)."""

from __future__ import annotations

import time

from tally.platform.aws import dynamodb_client
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.spans import SpanStore
from tally.web.query.answers import AnswerStore
from tally.web.query.range_plan import DynamoMarkReader
from tally.web.query.reader import StatsSources
from tally.web.query.settings import stats_settings


def stats_sources() -> StatsSources:
    """Fresh read counters per request; the boto3 client underneath is created once per container."""
    settings = stats_settings()
    client = dynamodb_client()
    return StatsSources(marks=DynamoMarkReader(settings.rollups_table, client),
                        rollups=RollupStore(settings.rollups_table, client),
                        raw=RawEventStore(settings.events_table, client),
                        spans=SpanStore(settings.rollups_table, client),
                        answers=AnswerStore(settings.rollups_table, client),
                        now_ms=lambda: int(time.time() * 1000))
