"""Configuration of the usage capability, read from the function's environment on first use."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class UsageSettings(BaseSettings):
    usage_table: str


@cache
def usage_settings() -> UsageSettings:
    return UsageSettings()  # filled from the environment
