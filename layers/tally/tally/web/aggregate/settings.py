"""Configuration of the aggregation functions (aggregator, sealer, retry); the platform totals the
sealer keeps are configured by `tally.totals.settings`."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class AggregationSettings(BaseSettings):
    events_table: str
    rollups_table: str
    #: stop taking new work when less than this much of the invocation's time is left
    job_reserve_ms: int = 15_000
    job_page_size: int = 50


@cache
def aggregation_settings() -> AggregationSettings:
    return AggregationSettings()  # filled from the environment
