"""The ingest function's objects, built once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.sites.wiring import site_directory
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.enrich.wiring import geoip_reader
from tally.web.ingest.service import Ingestor
from tally.web.ingest.settings import ingest_settings
from tally.web.visitors.wiring import visitor_ids


@cache
def ingestor() -> Ingestor:
    return Ingestor(site_directory(), visitor_ids(), RawEventStore(ingest_settings().events_table), geoip_reader())
