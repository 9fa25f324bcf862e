"""The export-activity store alone, for functions that record activity but never export (the import)."""

from __future__ import annotations

from functools import cache

from tally.exports.activity import DynamoActivity
from tally.exports.activity_settings import activity_settings


@cache
def export_activity() -> DynamoActivity:
    return DynamoActivity(activity_settings().exports_table)
