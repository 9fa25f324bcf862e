"""Configuration of the functions that only record export activity (the NDJSON import)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class ActivitySettings(BaseSettings):
    exports_table: str


@cache
def activity_settings() -> ActivitySettings:
    return ActivitySettings()  # filled from the environment
