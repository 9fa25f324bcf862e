"""The sites stores, built once per container on first use (settings come from `tally.sites.settings`)."""

from __future__ import annotations

from functools import cache

from tally.sites.directory import SiteDirectory
from tally.sites.settings import sites_settings
from tally.sites.store import DynamoSiteStore


@cache
def site_store() -> DynamoSiteStore:
    return DynamoSiteStore(table_name=sites_settings().sites_table)


@cache
def site_directory() -> SiteDirectory:
    """Ingest's cached domain → site lookup."""
    return SiteDirectory(sites_settings().sites_table)
