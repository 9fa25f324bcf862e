"""API key items as pynamodb models in the identity table.

- `ApiKeyItem` (`pk = apikey#<sha256>`, `sk = apikey`): what the authorizer looks up by the key's hash.
- `ApiKeyListing` (`pk = org#<org>#apikeys`, `sk = apikey#<key_id>`): the organisation's list of its
  active keys (prefix, name, created, last used; never the key or its hash's secret), written in the
  same transaction as the key and deleted in the same transaction as its revocation.

Imported lazily by `DynamoApiKeyStore` (pynamodb is not imported when the authorizer's handler is).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.models import Model

SK = "apikey"
LISTING_SK_PREFIX = "apikey#"


def key_pk(key_hash: str) -> str:
    return f"apikey#{key_hash}"


def listing_pk(org_id: str) -> str:
    return f"org#{org_id}#apikeys"


def listing_sk(key_id: str) -> str:
    return f"{LISTING_SK_PREFIX}{key_id}"


class ApiKeyItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    key_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    #: comma-separated roles, as `tally.auth.identity.parse_roles` reads them
    roles = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)
    created_at = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    prefix = UnicodeAttribute(null=True)
    revoked_at = UnicodeAttribute(null=True)


class ApiKeyListing(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    key_id = UnicodeAttribute()
    key_hash = UnicodeAttribute()
    name = UnicodeAttribute()
    prefix = UnicodeAttribute()
    roles = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    last_used_at = UnicodeAttribute(null=True)
