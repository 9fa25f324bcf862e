"""Opaque cursors of the `/me/stats` lists: where the previous page ended, never a table key as such."""

from __future__ import annotations

import base64
import binascii
import re

from tally.platform.errors import InvalidInput

#: (timestamp ms, id) of the last row of a page; ids are request ids or session ids.
_POSITION = re.compile(r"^(\d{13})#([\x21-\x7e]{1,200})$")


def encode_cursor(kind: str, at_ms: int, row_id: str) -> str:
    text = f"{kind}1.{at_ms:013d}#{row_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> tuple[int, str]:
    """(timestamp ms, id) of the previous page's last row; 422 for anything this list did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    match = _POSITION.match(text.removeprefix(f"{kind}1."))
    if not text.startswith(f"{kind}1.") or match is None:
        raise InvalidInput("cursor is not one this API returned",
                           details=[{"field": "cursor", "rule": "must be a next_cursor from a previous page",
                                     "type": "cursor_invalid"}])
    return int(match.group(1)), match.group(2)
