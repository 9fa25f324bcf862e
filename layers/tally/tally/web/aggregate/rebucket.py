"""Re-bucketing: after a site changes time zone, its hours and days follow, without losing anything.

Raw events are keyed by UTC hour and minutes are the same in every zone, so neither moves. Hour
and day rollups are kept in the site's zone: when the zone changes, the old zone's buckets stay
where they are (a query takes the ones that are also buckets of the new zone, see
tally.web.query.range_plan) and the new zone's buckets must be sealed from the raw events.

The sites service records a request before the change (`RebucketRequests.request`, through the
`ZoneChanges` seam of tally.sites.service). The scheduled job (`Rebucketer`) walks the site's
marks — days then hours, newest first (recent ranges turn cheap soonest), page by page from a
checkpoint kept on the request — and *carries* every mark of another zone into the site's zone:
it marks the new zone's hours overlapping the old bucket (those that are not the same bucket in
both zones), then the new zone's days overlapping it — hours first, so a day is sealed only after
them — and then records on the old mark the version it carried (`DirtyMarks.carried`,
conditional on the version: a mark changed meanwhile is carried again). The sealer then seals the
new buckets from raw events as it seals any change.

Why a reader stays exact at any moment: a bucket of the new zone is read from its rollup only when
it is sealed, current, and every old-zone mark overlapping it was carried at its current version —
the carrying marked it after the old mark reached that version, so its seal came after every event
the old mark stands for. An event stored with the old zone after the change (a cached site, a
stream lag) bumps an old mark, which is then not carried, so readers go to raw events there until
the job carries it again. Changing zone again while a pass runs resets the request: carrying is
always into the site's zone of the moment, and marks carried into an earlier zone count as not
carried. Two runs at once, a crash, a run repeated: marking twice only reseals a bucket again.

A request is finished when a whole pass carried nothing and the change is older than
`SETTLE_MS` (events stored with the old zone shortly after the change are carried by then). The
request counts its passes; with its checkpoint that is the progress the site reports
(`tally.web.aggregate.rebucket_requests.estimate`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tally.web.aggregate.marking import day_due_at, hour_due_at
from tally.web.aggregate.marks import DirtyMarks, Mark
from tally.web.aggregate.rebucket_requests import RebucketRequests, Request
from tally.web.aggregate.zones import Grain, bucket_end, buckets_overlapping, same_bucket

SETTLE_MS = 10 * 60_000
DAY_MS = 86_400_000


class SiteZone(Protocol):
    """What the job needs of a site (tally.sites.model.Site has it)."""

    @property
    def timezone(self) -> str: ...
    @property
    def retention_days(self) -> int: ...
    @property
    def status(self) -> str: ...


class SiteReader(Protocol):
    def get(self, org_id: str, site_id: str) -> SiteZone | None: ...


def carry(marks: DirtyMarks, mark: Mark, zone: str) -> bool:
    """Carry one old-zone mark into `zone`'s buckets (see the module docstring). False when the mark
    changed meanwhile: it stays not carried, and the next pass carries it again."""
    end = bucket_end(mark.grain, mark.start_ms, mark.tz)
    hours_within: list[Mark] = []
    if mark.grain is Grain.day:  # its hours are carried with it (read before marking: see `DirtyMarks.carried`)
        hours_within = [m for m in marks.states(mark.site_id, Grain.hour, mark.start_ms, end)
                        if m.tz == mark.tz and not same_bucket(Grain.hour, m.start_ms, m.tz, zone)
                        and not m.carried_into(zone)]
    for hour in buckets_overlapping(Grain.hour, mark.start_ms, end, zone):
        if not same_bucket(Grain.hour, hour, zone, mark.tz):  # a shared hour is marked by both zones' events
            marks.touch(mark.site_id, zone, Grain.hour, hour, hour_due_at(hour, zone))
    for day in buckets_overlapping(Grain.day, mark.start_ms, end, zone):
        marks.touch(mark.site_id, zone, Grain.day, day, day_due_at(day, zone))
    for hour_mark in hours_within:
        marks.carried(hour_mark, zone)
    return marks.carried(mark, zone)


@dataclass
class RebucketReport:
    sites: int = 0
    marks_seen: int = 0
    carried: int = 0
    finished: int = 0
    remaining: bool = False


@dataclass
class Rebucketer:
    """The bounded, resumable job: one step per pending request, within the caller's deadline."""

    requests: RebucketRequests
    marks: DirtyMarks
    sites: SiteReader
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)

    def run(self, *, deadline: Callable[[], bool], page: int = 50) -> RebucketReport:
        report = RebucketReport()
        for request in self.requests.pending(page):
            if deadline():
                report.remaining = True
                break
            report.sites += 1
            self._step(request, deadline, page, report)
        return report

    def _step(self, request: Request, deadline: Callable[[], bool], page: int, report: RebucketReport) -> None:
        site = self.sites.get(request.org_id, request.site_id)
        if site is None or str(site.status) != "active":
            report.finished += self.requests.finish(request)  # deleted or being deleted: its marks go with it
            return
        zone, now = site.timezone, self.now_ms()
        oldest = now - (site.retention_days + 1) * DAY_MS  # raw events before it are gone: nothing to carry
        after, carried = request.after, request.carried
        # Days first (carrying a day carries its hours), newest first: recent ranges are read fast soonest.
        grain = Grain(after.split("#")[0]) if after else Grain.day
        while True:
            batch, more = self.marks.page(request.site_id, grain,
                                          after if after and after.startswith(grain.value) else None, page)
            for mark in batch:
                if deadline():
                    report.remaining = True
                    self.requests.advance(request, after, carried)
                    return
                report.marks_seen += 1
                stale = bucket_end(mark.grain, mark.start_ms, mark.tz) < oldest
                if not (stale or same_bucket(mark.grain, mark.start_ms, mark.tz, zone) or mark.carried_into(zone)):
                    carry(self.marks, mark, zone)
                    carried += 1
                    report.carried += 1
                after = f"{mark.grain.value}#{mark.start_ms:013d}"
            if not more:
                if grain is Grain.hour:
                    break
                grain = Grain.hour
            advanced = self.requests.advance(request, after, carried)
            if advanced is None:
                return  # the zone changed again, or another run is ahead: leave the request to it
            request = advanced
        if carried == 0 and request.requested_ms + SETTLE_MS <= now:
            report.finished += self.requests.finish(request)
        else:  # another pass: a mark carried early in this one may have changed since
            self.requests.advance(request, None, 0, new_pass=True)
