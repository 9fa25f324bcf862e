"""Attribute types shared by the entity models (`tally.platform.entities`).

Imports pynamodb: only the `items` modules import this, and stores import those lazily.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import Attribute
from pynamodb.constants import STRING


def iso(moment: datetime) -> str:
    """A moment as stored: ISO 8601 in UTC with milliseconds (`2026-03-01T12:00:00.000Z`)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class InstantAttribute(Attribute[datetime]):
    """A moment as ISO 8601 text in UTC with milliseconds (see `iso`)."""

    attr_type = STRING

    def serialize(self, value: datetime) -> str:
        return iso(value)

    def deserialize(self, value: str) -> datetime:
        return datetime.fromisoformat(value)
