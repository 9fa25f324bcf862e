"""The failure ledger, built once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.ops.ledger import DynamoFailureLedger, FailureLedger
from tally.ops.settings import ops_settings


@cache
def failure_ledger() -> FailureLedger:
    return DynamoFailureLedger(table_name=ops_settings().ops_table)
