"""A daily visitor salt as a pynamodb model: `pk = salt`, `sk = <UTC day>`, the key as binary,
`expires_at` for TTL, in the salts table. Imported lazily by `DynamoSaltTable`.
"""

from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

SALT_PK = "salt"


class SaltItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    salt = BinaryAttribute(legacy_encoding=False)
    created_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
