"""The keys API's store, built once per container (the authorizer's verifiers are in `wiring`)."""

from __future__ import annotations

from functools import cache

from tally.auth.api_keys import DynamoApiKeyStore
from tally.auth.keys_settings import keys_settings


@cache
def api_key_store() -> DynamoApiKeyStore:
    return DynamoApiKeyStore(keys_settings().identity_table)
