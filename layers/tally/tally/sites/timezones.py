"""A site's time zone: an IANA name, validated against the tz database this runtime has.

Names are matched case-insensitively and returned in their canonical spelling
("europe/berlin" → "Europe/Berlin"), so what is stored always loads with `ZoneInfo`.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TIMEZONE = "UTC"
#: Files some tz databases ship that are not zones a person would mean.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


class InvalidTimezone(ValueError):
    """Not an IANA time zone name."""


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones() if name not in _NOT_ZONES}


def canonical_timezone(name: str) -> str:
    """The canonical IANA spelling of `name`; raises InvalidTimezone when the database has no such zone."""
    key = name.strip()
    canonical = _zones_by_folded_name().get(key.casefold()) if 0 < len(key) <= 64 else None
    if canonical is None:
        raise InvalidTimezone(f"{name[:64]!r} is not an IANA time zone name, like Europe/Berlin or UTC")
    ZoneInfo(canonical)  # the database may list a zone it cannot load; fail here, not in a report
    return canonical
