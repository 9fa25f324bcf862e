"""Configuration of the `/me` API beyond the usage table: where revocations are kept."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class MeSettings(BaseSettings):
    identity_table: str


@cache
def me_settings() -> MeSettings:
    return MeSettings()  # filled from the environment
