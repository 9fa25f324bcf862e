"""Configuration of the sites API, read from the environment on first use."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings

from tally.sites.store import DynamoSiteStore


class SitesSettings(BaseSettings):
    sites_table: str


@cache
def sites_settings() -> SitesSettings:
    return SitesSettings()  # filled from the environment


@cache
def site_store() -> DynamoSiteStore:
    return DynamoSiteStore(table_name=sites_settings().sites_table)
