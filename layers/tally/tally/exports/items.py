"""Export items as a pynamodb model: `pk = <org>#export#<export_id>`, `sk = export` in the exports
table; they expire (TTL `expires_at`) when their ZIP does. Imported lazily by `DynamoExportStore`."""

from __future__ import annotations

from datetime import date

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from tally.exports.model import Export, ExportStatus

SK = "export"


def export_pk(org_id: str, export_id: str) -> str:
    return f"{org_id}#export#{export_id}"


class ExportItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    export_id = UnicodeAttribute()
    org_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    site_id = UnicodeAttribute()
    domain = UnicodeAttribute()
    first = UnicodeAttribute()
    last = UnicodeAttribute()
    tz = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at_ms = NumberAttribute()
    expires_at = NumberAttribute()
    next_day = UnicodeAttribute()
    size = NumberAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)

    @classmethod
    def of(cls, export: Export) -> ExportItem:
        return cls(export_pk(export.org_id, export.export_id), SK, export_id=export.export_id,
                   org_id=export.org_id, user_id=export.user_id, site_id=export.site_id, domain=export.domain,
                   first=export.first.isoformat(), last=export.last.isoformat(), tz=export.tz,
                   status=export.status.value, created_at_ms=export.created_at_ms, expires_at=export.expires_at_s,
                   next_day=export.next_day.isoformat(), attempts=export.attempts)

    def export(self) -> Export:
        return Export(export_id=self.export_id, org_id=self.org_id, user_id=self.user_id, site_id=self.site_id,
                      domain=self.domain, first=date.fromisoformat(self.first), last=date.fromisoformat(self.last),
                      tz=self.tz, status=ExportStatus(self.status), created_at_ms=int(self.created_at_ms),
                      expires_at_s=int(self.expires_at), next_day=date.fromisoformat(self.next_day),
                      size=int(self.size) if self.size is not None else None, key=self.s3_key,
                      attempts=int(self.attempts or 0))
