"""The platform totals writer of a contributing function, built once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.platform.aws import dynamodb_client
from tally.totals.settings import totals_settings
from tally.totals.store import DynamoTotals


@cache
def totals_writer() -> DynamoTotals | None:
    """The totals in the function's public stats table, or None when it keeps none."""
    table = totals_settings().public_stats_table
    return DynamoTotals(table, dynamodb_client()) if table else None
