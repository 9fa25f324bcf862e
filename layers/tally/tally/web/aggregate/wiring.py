"""The aggregation functions' objects, built once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.totals.wiring import totals_writer
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Aggregator, Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.settings import aggregation_settings


@cache
def aggregator() -> Aggregator:
    return Aggregator(DirtyMarks(aggregation_settings().rollups_table))


@cache
def sealer() -> Sealer:
    """The sealer; where the function has a public stats table, sealed hours also keep the platform totals."""
    settings = aggregation_settings()
    return Sealer(DirtyMarks(settings.rollups_table), RawEventStore(settings.events_table),
                  RollupStore(settings.rollups_table, totals=totals_writer()))
