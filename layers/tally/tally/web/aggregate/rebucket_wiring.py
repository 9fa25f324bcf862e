"""Re-bucketing's objects, built once per container on first use: the request store the sites API
hands to tally.sites.service as its ZoneChanges, and the job."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from tally.web.aggregate.rebucket_requests import RebucketRequests
from tally.web.aggregate.rebucket_settings import rebucket_settings

if TYPE_CHECKING:
    from tally.web.aggregate.rebucket import Rebucketer


@cache
def rebucket_requests() -> RebucketRequests:
    return RebucketRequests(rebucket_settings().rollups_table)


@cache
def rebucketer() -> Rebucketer:
    # Imported here: the sites API imports this module for its requests only, and its cold start stays small.
    from tally.sites.wiring import site_store
    from tally.web.aggregate.marks import DirtyMarks
    from tally.web.aggregate.rebucket import Rebucketer

    return Rebucketer(rebucket_requests(), DirtyMarks(rebucket_settings().rollups_table), site_store())
