"""The export job: one queue message per export, each run bounded by its time budget, resumable.

A run reads the export's checkpoint (the first day not written yet), computes day after day through
the stats API's own functions, writes each day's rows to S3 (`parts/<day>.json`) and only then moves
the checkpoint past it, conditionally on nobody having moved it meanwhile (two runs of one export
never both advance; the loser stops). When the budget runs out it queues its own continuation. Once
every day is written it assembles the ZIP from the parts under a key fixed by the export and marks
the export ready, so a crashed, retried or duplicated run rewrites the same bytes at the same key:
one complete archive whatever happened. A day whose answer would be incomplete (hours not sealed yet
past the raw-read bound) is not written: its hours are asked to be sealed first and the run comes
back later.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from tally.exports.model import Export, ExportStatus
from tally.exports.store import ExportFiles, ExportStore
from tally.exports.tables import TABLES, breakdown_properties, csv_text, day_rows
from tally.sites.model import Site, SiteStatus
from tally.web.query import service
from tally.web.query.periods import DateRange, today_in
from tally.web.query.reader import StatsSources

#: A run gives up on an export after this many failed attempts (then recorded as a failure).
MAX_ATTEMPTS = 5
#: When a run stopped on unsealed hours, its continuation waits this long (about one sealer run).
LATER_S = 60
#: Fixed ZIP entry times: the same rows make the same bytes.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class Outcome(StrEnum):
    done = "done"  # ready (now or before), failed, or gone
    more = "more"  # budget spent: continue in another run
    later = "later"  # a day is not complete yet: continue after LATER_S
    lost = "lost"  # another run moved the checkpoint: it carries on


@dataclass
class ExportRun:
    exports: ExportStore
    files: ExportFiles
    site: Callable[[str, str], Site | None]
    sources: Callable[[], StatsSources]
    now_ms: Callable[[], int]
    time_left_ms: Callable[[], int]
    reserve_ms: int

    def run(self, org_id: str, export_id: str) -> Outcome:
        export = self.exports.get(org_id, export_id)
        if export is None or export.status in (ExportStatus.ready, ExportStatus.failed):
            return Outcome.done
        site = self.site(org_id, export.site_id)
        if site is None or site.status is not SiteStatus.active:
            self.exports.fail(export)
            return Outcome.done
        last_day = min(export.last, today_in(export.tz, self.now_ms()))
        written = 0
        while export.next_day <= export.last:
            if written and self.time_left_ms() < self.reserve_ms:  # every run writes at least one day
                return Outcome.more
            day = export.next_day
            rows = self.day(export, site, day) if day <= last_day else {t.name: [] for t in TABLES}
            if rows is None:
                return Outcome.later
            self.files.put_part(export, day, rows)
            if not self.exports.advance(export, day + timedelta(days=1)):
                return Outcome.lost
            export = _moved(export, day + timedelta(days=1))
            written += 1
        body = self.archive(export)
        key = self.files.put_archive(export, body)
        self.exports.finish(export, key, len(body))
        return Outcome.done

    def day(self, export: Export, site: Site, day: date) -> dict[str, list[list[Any]]] | None:
        """The day's rows of every table, or None when the stats API could not count it whole yet."""
        sources = self.sources()
        days = DateRange(day, day, export.tz)
        totals = service.range_counts(sources, site.site_id, site.timezone, days)
        breakdowns = service.breakdown_counts(sources, site.site_id, site.timezone, days, breakdown_properties())
        if not service.counts_complete(sources, site.site_id):
            return None
        return day_rows(day, export.domain, totals, breakdowns)

    def archive(self, export: Export) -> bytes:
        rows: dict[str, list[list[Any]]] = {table.name: [] for table in TABLES}
        day = export.first
        while day <= export.last:
            for name, part in self.files.part(export, day).items():
                rows[name].extend(part)
            day += timedelta(days=1)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for table in TABLES:
                info = zipfile.ZipInfo(table.file_name(export.first, export.last), date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, csv_text(table, rows[table.name]))
        return out.getvalue()


def _moved(export: Export, next_day: date) -> Export:
    from dataclasses import replace

    return replace(export, next_day=next_day, status=ExportStatus.running)
