"""Configuration of visitor ids, read from the function's environment on first use."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class VisitorSettings(BaseSettings):
    salts_table: str


@cache
def visitor_settings() -> VisitorSettings:
    return VisitorSettings()  # filled from the environment
