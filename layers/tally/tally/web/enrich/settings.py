"""Configuration of enrichment, read from the function's environment on first use.

Import this module (or `geoip_reader`) only from a function whose `Environment` in template.yaml
lists both variables; the pure functions of `tally.web.enrich` take their configuration as
arguments and need none of it.
"""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings

from tally.web.enrich.geo import GeoIpReader, open_geoip


class EnrichSettings(BaseSettings):
    #: Path of a local MaxMind DB file (e.g. in a layer under /opt); empty: country from the header only.
    geoip_database: str = ""
    #: Take the client address from X-Forwarded-For (only behind a proxy Tally trusts).
    trust_forwarded_for: bool = False


@cache
def enrich_settings() -> EnrichSettings:
    return EnrichSettings()  # filled from the environment


@cache
def geoip_reader() -> GeoIpReader | None:
    """The configured GeoIP database, opened once per container; None when none is configured."""
    path = enrich_settings().geoip_database.strip()
    return open_geoip(path) if path else None
