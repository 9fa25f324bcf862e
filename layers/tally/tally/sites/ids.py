"""Site ids: opaque to clients, unique, and sortable by creation time (so lists read oldest first).

26 characters of Crockford base32 (lower case): 48 bits of milliseconds, then 80 random bits,
the layout of a ULID.
"""

from __future__ import annotations

import re
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
SITE_ID_PATTERN = r"^[0-9a-hjkmnp-tv-z]{26}$"
_SITE_ID = re.compile(SITE_ID_PATTERN)


def new_site_id(now_ms: int | None = None) -> str:
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    value = (millis & (2**48 - 1)) << 80 | secrets.randbits(80)
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


def is_site_id(text: str) -> bool:
    return bool(_SITE_ID.match(text))
