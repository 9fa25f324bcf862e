"""Configuration of enrichment, read from the function's environment on first use.

Import this module (or `wiring.geoip_reader`) only from a function whose `Environment` in template.yaml
lists both variables; the pure functions of `tally.web.enrich` take their configuration as
arguments and need none of it.
"""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class EnrichSettings(BaseSettings):
    #: Path of a local MaxMind DB file (e.g. in a layer under /opt); empty: country from the header only.
    geoip_database: str = ""
    #: Take the client address from X-Forwarded-For (only behind a proxy Tally trusts).
    trust_forwarded_for: bool = False


@cache
def enrich_settings() -> EnrichSettings:
    return EnrichSettings()  # filled from the environment
