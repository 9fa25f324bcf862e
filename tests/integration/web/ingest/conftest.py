from __future__ import annotations

import pytest

from tally.sites.model import SiteCreate
from tally.sites.service import create_site
from tally.sites.store import DynamoSiteStore


@pytest.fixture
def web_env(aws, monkeypatch):
    """The ingest/import functions' environment against the template's tables in moto."""
    from tally.web.enrich.settings import enrich_settings
    from tally.web.enrich.wiring import geoip_reader
    from tally.web.ingest.settings import ingest_settings
    from tally.web.visitors.settings import visitor_settings
    from tally.web.visitors.wiring import salt_store, visitor_ids

    monkeypatch.setenv("EVENTS_TABLE", aws["EventsTable"])
    monkeypatch.setenv("SITES_TABLE", aws["SitesTable"])
    monkeypatch.setenv("SALTS_TABLE", aws["SaltsTable"])
    caches = [ingest_settings, enrich_settings, geoip_reader, visitor_settings, salt_store, visitor_ids]
    from tally.sites.settings import sites_settings
    from tally.sites.wiring import site_store

    caches += [sites_settings, site_store]
    for cached in caches:
        cached.cache_clear()
    from tests.integration.handlers import load_handler_module

    for logical_id, name in (("IngestFunction", "ingestor"), ("EventImportFunction", "importer")):
        getattr(load_handler_module(logical_id), name).cache_clear()
    yield aws
    for cached in caches:
        cached.cache_clear()


@pytest.fixture
def site(web_env):
    def make(domain: str, org: str = "demo", timezone: str = "UTC"):
        return create_site(DynamoSiteStore(web_env["SitesTable"]), org,
                           SiteCreate(domain=domain, timezone=timezone))
    return make
