"""Where the platform totals live, for the functions that contribute to them (read on first use)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class TotalsSettings(BaseSettings):
    #: the public stats table holding the platform totals (empty: this function does not count)
    public_stats_table: str = ""


@cache
def totals_settings() -> TotalsSettings:
    return TotalsSettings()  # filled from the environment
