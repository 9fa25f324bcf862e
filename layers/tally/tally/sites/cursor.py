"""The opaque cursor of the sites list: where the previous page ended, never a table key."""

from __future__ import annotations

import base64
import binascii

from tally.platform.errors import InvalidInput
from tally.sites.ids import is_site_id

_VERSION = "s1."


def encode_cursor(last_site_id: str) -> str:
    return base64.urlsafe_b64encode(f"{_VERSION}{last_site_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The last site id of the previous page; 422 for anything this API did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    site_id = text.removeprefix(_VERSION)
    if not text.startswith(_VERSION) or not is_site_id(site_id):
        raise InvalidInput("cursor is not one this API returned",
                           details=[{"field": "cursor", "rule": "must be a next_cursor from a previous page",
                                     "type": "cursor_invalid"}])
    return site_id
