"""Where re-bucketing requests are written: the sites API wires this into tally.sites.service (ZoneChanges)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings

from tally.web.aggregate.rebucket import RebucketRequests


class RebucketRequestSettings(BaseSettings):
    rollups_table: str


@cache
def rebucket_requests() -> RebucketRequests:
    return RebucketRequests(RebucketRequestSettings().rollups_table)  # filled from the environment
