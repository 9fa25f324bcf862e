"""Configuration of the stats API, read from the environment on first use (stores: `wiring`)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class StatsSettings(BaseSettings):
    events_table: str
    rollups_table: str


@cache
def stats_settings() -> StatsSettings:
    return StatsSettings()  # filled from the environment
