"""Configuration of the re-bucketing job (RebucketFunction)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class RebucketSettings(BaseSettings):
    rollups_table: str
    #: stop taking new work when less than this much of the invocation's time is left
    job_reserve_ms: int = 15_000
    job_page_size: int = 50


@cache
def rebucket_settings() -> RebucketSettings:
    return RebucketSettings()  # filled from the environment
