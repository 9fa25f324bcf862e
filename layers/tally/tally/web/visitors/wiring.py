"""The production salt store and visitor ids, built once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.web.visitors.dynamo import DynamoSaltTable
from tally.web.visitors.ids import VisitorIds
from tally.web.visitors.salts import SaltStore
from tally.web.visitors.settings import visitor_settings


@cache
def salt_store() -> SaltStore:
    return SaltStore(DynamoSaltTable(visitor_settings().salts_table))


@cache
def visitor_ids() -> VisitorIds:
    return VisitorIds(salt_store())
