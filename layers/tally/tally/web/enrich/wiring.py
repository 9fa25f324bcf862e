"""The GeoIP reader, opened once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.web.enrich.geo import GeoIpReader, open_geoip
from tally.web.enrich.settings import enrich_settings


@cache
def geoip_reader() -> GeoIpReader | None:
    """The configured GeoIP database; None when none is configured."""
    path = enrich_settings().geoip_database.strip()
    return open_geoip(path) if path else None
