"""Configuration of re-bucketing: where its requests and marks are (the sites API and the job read it)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class RebucketSettings(BaseSettings):
    rollups_table: str


@cache
def rebucket_settings() -> RebucketSettings:
    return RebucketSettings()  # filled from the environment
