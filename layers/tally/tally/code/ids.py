"""Codebase and run ids: opaque, unique, sortable by creation time (a ULID's layout, lower-case base32)."""

from __future__ import annotations

import re
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_PATTERN = r"^[0-9a-hjkmnp-tv-z]{26}$"
_ID = re.compile(ID_PATTERN)
#: What a user id (an identity provider's `sub`) may look like in a grant.
USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@:|+=-]{0,127}$"


def new_id(now_ms: int | None = None) -> str:
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    value = (millis & (2**48 - 1)) << 80 | secrets.randbits(80)
    return "".join(_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


def is_id(text: str) -> bool:
    return bool(_ID.match(text))
