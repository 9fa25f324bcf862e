"""Configuration of the functions that read or write sites, read from the environment on first use.

Settings only: the stores built from them live in `tally.sites.wiring` (the deletion job's own
settings are in `deletion_settings`, so functions without its variables never reach them).
"""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class SitesSettings(BaseSettings):
    sites_table: str


@cache
def sites_settings() -> SitesSettings:
    return SitesSettings()  # filled from the environment
