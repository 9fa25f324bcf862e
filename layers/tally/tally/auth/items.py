"""API key records as a pynamodb model: `pk = apikey#<sha256>`, `sk = apikey` in the identity table.

Imported lazily by `DynamoApiKeyStore` (pynamodb is not imported when the authorizer's handler is).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.models import Model

SK = "apikey"


def key_pk(key_hash: str) -> str:
    return f"apikey#{key_hash}"


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
