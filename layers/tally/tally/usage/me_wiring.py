"""The `/me` API's revocation store, built once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.auth.revocations import DynamoRevocations
from tally.usage.me_settings import me_settings


@cache
def revocations() -> DynamoRevocations:
    return DynamoRevocations(me_settings().identity_table)
