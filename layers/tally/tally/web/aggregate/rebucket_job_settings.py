"""The re-bucketing job's budget (RebucketFunction)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class RebucketJobSettings(BaseSettings):
    #: stop taking new work when less than this much of the invocation's time is left
    job_reserve_ms: int = 15_000
    job_page_size: int = 50


@cache
def rebucket_job_settings() -> RebucketJobSettings:
    return RebucketJobSettings()  # filled from the environment
