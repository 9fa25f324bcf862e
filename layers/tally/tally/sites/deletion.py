"""The site deletion job: empty every site data location of each `deleting` site, then remove it.

Bounded: no page starts after the time budget (the Lambda's remaining time less a margin) runs
out, and every read is a page of `page_size`. Resumable: the position (location, cursor) is saved
on the site item after each page. Idempotent: deleting is idempotent, progress writes are
conditional on the site still being `deleting`, and the final step deletes the site and its
domain claim in one conditional transaction, so runs repeated, interrupted or concurrent all end
the same way. A site is removed only after a pass from the very beginning found nothing left and
the grace period since the request has passed (ingest caches hold a site for a minute or so).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.sites.locations import SiteDataLocation, SiteRef
from tally.sites.queue import DeletionState, DynamoDeletionQueue

logger = Logger(child=True)
OPERATION = "site-deletion"

FailureRecorder = Callable[..., bool]


class Budget(Protocol):
    def exhausted(self) -> bool: ...


@dataclass(frozen=True)
class LambdaBudget:
    """Out of time once the invocation has no more than `margin_ms` left."""

    remaining_ms: Callable[[], int]
    margin_ms: int

    def exhausted(self) -> bool:
        return self.remaining_ms() <= self.margin_ms


class Outcome(enum.StrEnum):
    deleted = "deleted"  # the site and its domain claim are gone
    waiting = "waiting"  # empty, waiting for the grace period to pass
    out_of_time = "out_of_time"  # progress saved; the next run resumes
    gone = "gone"  # another run finished it first, or it was never there


@dataclass
class RunReport:
    sites_seen: int = 0
    sites_deleted: int = 0
    items_deleted: int = 0
    failures: int = 0
    out_of_time: bool = False
    outcomes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeletionRun:
    queue: DynamoDeletionQueue
    budget: Budget
    page_size: int
    grace: timedelta
    #: The tick's scheduled time: the same for every retry of one tick, so it names the run, and
    #: failures are recorded at it (the ledger counts a failure id at one instant once).
    scheduled_at: datetime
    now: datetime
    environ: Mapping[str, str]
    #: Every capability's site data locations, emptied in this order (see `tally.sites.locations`).
    locations: Sequence[SiteDataLocation]
    record: FailureRecorder = record_failure

    @property
    def run_id(self) -> str:
        return f"{OPERATION}:{self.scheduled_at.astimezone(UTC).isoformat()}"

    def run(self) -> RunReport:
        report = RunReport()
        try:
            self._drain_queue(report)
        except Exception as error:
            self.record(OpsKind.job, OPERATION, error, failure_id=self.run_id, at=self.scheduled_at)
            raise
        return report

    def _drain_queue(self, report: RunReport) -> None:
        start: dict[str, Any] | None = None
        while True:
            if self.budget.exhausted():
                report.out_of_time = True
                return
            sites, start = self.queue.pending(self.page_size, start)
            for site in sites:
                if self.budget.exhausted():
                    report.out_of_time = True
                    return
                report.sites_seen += 1
                outcome = self._delete_site_recording_failures(site, report)
                if outcome is not None:
                    report.outcomes[site.site_id] = outcome.value
                    report.sites_deleted += outcome is Outcome.deleted
                    report.out_of_time |= outcome is Outcome.out_of_time
            if not start:
                return

    def _delete_site_recording_failures(self, site: SiteRef, report: RunReport) -> Outcome | None:
        try:
            return self.delete_site(site, report)
        except Exception as error:
            logger.exception("site deletion failed", extra={"org_id": site.org_id, "site_id": site.site_id})
            report.failures += 1
            self.record(OpsKind.job, OPERATION, error, org_id=site.org_id,
                        failure_id=f"{self.run_id}:{site.site_id}", at=self.scheduled_at)
            return None

    def delete_site(self, site: SiteRef, report: RunReport) -> Outcome:
        state = self.queue.state(site)
        if state is None:
            return Outcome.gone
        index, cursor = self._resume_point(state)
        while True:
            clean_pass = index == 0 and cursor is None
            deleted_in_pass = 0
            while index < len(self.locations):
                location = self.locations[index]
                if self.budget.exhausted():
                    self.queue.save_progress(site, location.name, cursor)
                    return Outcome.out_of_time
                table = location.table_name(self.environ)
                page = location.pager.page(self.queue.client, table, site, cursor, self.page_size)
                self.queue.delete_keys(table, page.keys)
                deleted_in_pass += len(page.keys)
                report.items_deleted += len(page.keys)
                index, cursor = (index, page.cursor) if page.cursor else (index + 1, None)
                if index < len(self.locations) and not self.queue.save_progress(
                        site, self.locations[index].name, cursor):
                    return Outcome.gone
            if clean_pass and deleted_in_pass == 0:
                break  # a pass from the very beginning found nothing: the site's data is gone
            index, cursor = 0, None
            if self.locations and not self.queue.save_progress(site, self.locations[0].name, None):
                return Outcome.gone
        if self.now < state.requested_at + self.grace:
            return Outcome.waiting
        if not self.queue.finalise(state):
            return Outcome.gone
        logger.info("site deleted", extra={"org_id": site.org_id, "site_id": site.site_id})
        return Outcome.deleted

    def _resume_point(self, state: DeletionState) -> tuple[int, str | None]:
        names = [location.name for location in self.locations]
        if state.location in names:
            return names.index(state.location), state.cursor
        return 0, None  # first run, or a location that no longer exists: start over
