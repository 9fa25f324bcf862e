"""The visitor's country (ISO 3166-1 alpha-2), never by an outside call.

First the `CloudFront-Viewer-Country` header, which CloudFront sets when it fronts the API; else a
local MaxMind DB file (GeoLite2/GeoIP2 Country or City, or any database of that shape such as
DB-IP Lite) when one is configured; else unknown. The IP is looked up in memory and then forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

COUNTRY_HEADER = "cloudfront-viewer-country"
_ISO_CODE = re.compile(r"^[A-Z]{2}$")
#: Codes that say "unknown" or "anonymous", not a country.
_NOT_A_COUNTRY = frozenset({"XX", "ZZ", "T1", "A1", "A2", "O1", "EU", "AP"})


class GeoIpReader(Protocol):
    """What Tally needs of `maxminddb.Reader`: a record for an address, or None."""

    def get(self, ip_address: str) -> Any: ...


def open_geoip(path: str) -> GeoIpReader:
    """Open a local MaxMind DB file (memory-mapped: shared by every lookup of the container)."""
    import maxminddb

    reader: GeoIpReader = maxminddb.open_database(path, maxminddb.MODE_AUTO)
    return reader


def country_from(headers: Mapping[str, str] | None, ip: str | None, geoip: GeoIpReader | None) -> str | None:
    """ISO country code of the request, or None. `headers` have lower-case names."""
    if headers and (code := _iso(headers.get(COUNTRY_HEADER))):
        return code
    if geoip is None or not ip:
        return None
    try:
        record = geoip.get(ip)
    except ValueError:  # not an IP address
        return None
    if not isinstance(record, dict):
        return None
    country = record.get("country")  # where the address is used; not `registered_country` (its ISP's seat)
    return _iso(country.get("iso_code")) if isinstance(country, dict) else None


def _iso(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if _ISO_CODE.match(code) and code not in _NOT_A_COUNTRY else None
