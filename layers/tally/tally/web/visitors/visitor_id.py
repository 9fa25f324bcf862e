"""The visitor id: BLAKE2b keyed with the day's salt over (site, IP, User-Agent), 16 bytes as hex.

Without the salt, which lives two days and is never exported, an id cannot be linked back to an
address or across days. Each field is length-prefixed so no two different inputs hash alike.
"""

from __future__ import annotations

from hashlib import blake2b

DIGEST_BYTES = 16
_PERSON = b"tally.visitor.1"  # domain separation from any other use of the same key


def visitor_id(salt: bytes, site_id: str, ip: str | None, user_agent: str | None) -> str:
    """32 hex characters; the same inputs always give the same id, another salt or site another id."""
    if not 16 <= len(salt) <= 64:
        raise ValueError("a salt is 16 to 64 bytes")
    digest = blake2b(key=salt, digest_size=DIGEST_BYTES, person=_PERSON)
    for part in (site_id, ip or "", user_agent or ""):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(4, "big"))
        digest.update(data)
    return digest.hexdigest()
