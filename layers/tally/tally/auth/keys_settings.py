"""Configuration of the API keys API (`KeysFunction`)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class KeysSettings(BaseSettings):
    identity_table: str


@cache
def keys_settings() -> KeysSettings:
    return KeysSettings()  # filled from the environment
