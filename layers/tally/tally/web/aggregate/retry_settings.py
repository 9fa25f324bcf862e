"""Configuration of the aggregation retry job."""

from __future__ import annotations

from functools import cache

from tally.web.aggregate.settings import AggregationSettings


class RetrySettings(AggregationSettings):
    aggregation_dlq_url: str
    retry_max_messages: int = 100


@cache
def retry_settings() -> RetrySettings:
    return RetrySettings()  # filled from the environment
