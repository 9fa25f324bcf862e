"""Configuration of the site deletion job, read from the environment on first use."""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings


class SiteDeletionSettings(BaseSettings):
    sites_table: str
    #: Keys read (and deleted) per page, and sites taken from the deletion queue per page.
    site_deletion_page_size: int = Field(default=100, ge=1, le=1000)
    #: A site is finalised (site item and domain claim removed) only this long after its deletion
    #: was requested, so ingest containers that cached it as active have refreshed their cache.
    site_deletion_grace_s: int = Field(default=300, ge=0)
    #: Time kept in reserve before the Lambda timeout: no new page starts once it is reached.
    site_deletion_margin_s: int = Field(default=10, ge=0)


@cache
def site_deletion_settings() -> SiteDeletionSettings:
    return SiteDeletionSettings()  # filled from the environment
