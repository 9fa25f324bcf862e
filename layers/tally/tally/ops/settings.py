"""Configuration of the failure ledger, read from the function's environment on first use."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class OpsSettings(BaseSettings):
    ops_table: str


@cache
def ops_settings() -> OpsSettings:
    return OpsSettings()  # filled from the environment
