"""The import function's objects, built once per container on first use.

Apart from `wiring` because the import function has no enrichment settings (no GeoIP database).
"""

from __future__ import annotations

from functools import cache

from tally.web.aggregate.raw_store import RawEventStore
from tally.web.ingest.imports import Importer
from tally.web.ingest.settings import ingest_settings
from tally.web.ingest.site_secrets import SiteSecrets
from tally.web.visitors.settings import visitor_settings


@cache
def importer() -> Importer:
    return Importer(RawEventStore(ingest_settings().events_table), SiteSecrets(visitor_settings().salts_table))
