"""Re-bucketing's objects, built once per container on first use: the request store the sites API
hands to tally.sites.service as its ZoneChanges, and the job."""

from __future__ import annotations

from functools import cache

from tally.sites.wiring import site_store
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.rebucket import Rebucketer, RebucketRequests
from tally.web.aggregate.rebucket_settings import rebucket_settings


@cache
def rebucket_requests() -> RebucketRequests:
    return RebucketRequests(rebucket_settings().rollups_table)


@cache
def rebucketer() -> Rebucketer:
    return Rebucketer(rebucket_requests(), DirtyMarks(rebucket_settings().rollups_table), site_store())
