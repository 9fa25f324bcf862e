"""Configuration of the ingest and import functions (sites, salts and enrichment have their own)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class IngestSettings(BaseSettings):
    events_table: str
    #: where the dirty marks live: ingest and import mark the hours they write
    rollups_table: str


@cache
def ingest_settings() -> IngestSettings:
    return IngestSettings()  # filled from the environment
