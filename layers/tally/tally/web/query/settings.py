"""Configuration of the stats API, read from the environment on first use (stores: `wiring`)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class StatsSettings(BaseSettings):
    events_table: str
    rollups_table: str
    #: the most raw events (of hours not sealed yet) one query reads; past it the answer is
    #: incomplete and says so (see tally.web.query.completeness)
    raw_events_per_query: int = 10_000


@cache
def stats_settings() -> StatsSettings:
    return StatsSettings()  # filled from the environment
