"""A site's import secret as a pynamodb model: `pk = import#<site>`, `sk = secret` in the salts table.

Imported lazily by `SiteSecrets` (pynamodb is not imported when the import handler is).
"""

from __future__ import annotations

from pynamodb.attributes import BinaryAttribute, UnicodeAttribute
from pynamodb.models import Model

SK = "secret"


class ImportSecretItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    secret = BinaryAttribute(legacy_encoding=False)
