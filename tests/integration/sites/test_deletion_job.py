"""The site deletion job against moto: bounded, resumable, idempotent; the domain is freed last."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tally.ops.kinds import OpsKind
from tally.ops.ledger import DynamoFailureLedger
from tally.platform.aws import dynamodb_client
from tally.sites.deletion import DeletionRun, Outcome
from tally.sites.keys import site_data_pk
from tally.sites.locations import KeyPage, SiteDataLocation, SiteRef
from tally.sites.queue import DynamoDeletionQueue
from tally.sites.wiring import site_store
from tally_dev.template import ROOT
from tests.integration.handlers import load_handler_module
from tests.integration.sites.conftest import create, sites_call

SITE_DATA_LOCATIONS = load_handler_module("SiteDeletionFunction").SITE_DATA_LOCATIONS
ITEMS = 230


class Steps:
    """A budget that runs out after `n` checks: interrupts a run at a chosen point."""

    def __init__(self, n: int | None = None) -> None:
        self.left = n

    def exhausted(self) -> bool:
        if self.left is None:
            return False
        self.left -= 1
        return self.left < 0


class TickingContext:
    """A Lambda context whose remaining time drops by `step_ms` at every look."""

    function_name = "site-deletion"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:site-deletion"
    aws_request_id = "req-deletion"

    def __init__(self, remaining_ms: int, step_ms: int = 0) -> None:
        self.remaining_ms, self.step_ms = remaining_ms, step_ms

    def get_remaining_time_in_millis(self) -> int:
        self.remaining_ms -= self.step_ms
        return self.remaining_ms


def seed(org: str, site_id: str, n: int = ITEMS) -> None:
    """Items the site owns in the sites table (the registry's one location for now)."""
    client, table = dynamodb_client(), os.environ["SITES_TABLE"]
    for start in range(0, n, 25):
        client.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": {"S": site_data_pk(org, site_id)}, "sk": {"S": f"item#{i:05d}"},
                                     "payload": {"S": "x" * 50}}}}
            for i in range(start, min(n, start + 25))]})


def owned(org: str, site_id: str) -> int:
    response = dynamodb_client().query(
        TableName=os.environ["SITES_TABLE"], KeyConditionExpression="pk = :pk", Select="COUNT",
        ExpressionAttributeValues={":pk": {"S": site_data_pk(org, site_id)}})
    return int(response["Count"])


def run(*, budget: Any = None, now: datetime | None = None, grace_s: int = 0, page_size: int = 50,
        scheduled_at: datetime | None = None, locations=SITE_DATA_LOCATIONS, queue=None):
    return DeletionRun(queue=queue or DynamoDeletionQueue(os.environ["SITES_TABLE"]), budget=budget or Steps(),
                       page_size=page_size, grace=timedelta(seconds=grace_s),
                       scheduled_at=scheduled_at or datetime.now(UTC),
                       now=now or datetime.now(UTC) + timedelta(seconds=1), environ=os.environ,
                       locations=locations).run()


@pytest.fixture
def doomed(call):
    """A demo site with data, deletion requested; and a rival site with data that must survive."""
    site = create(call, "doomed.example")
    seed("demo", site["site_id"])
    survivor = create(call, "survivor.example", org="rival")
    seed("rival", survivor["site_id"], 40)
    assert call("DELETE", site["site_id"]).status == 202
    return site, survivor


def assert_gone(call, site, survivor) -> None:
    assert owned("demo", site["site_id"]) == 0
    assert call("GET", site["site_id"]).status == 404
    assert call("GET").body["sites"] == []
    assert site_store().claim("doomed.example") is None
    assert create(call, "doomed.example", org="rival")["domain"] == "doomed.example"  # the domain is free
    assert owned("rival", survivor["site_id"]) == 40
    assert call("GET", survivor["site_id"], org="rival").body["status"] == "active"


def test_one_run_deletes_the_data_then_the_site_and_frees_the_domain(call, doomed):
    report = run()
    assert (report.sites_deleted, report.items_deleted, report.failures) == (1, ITEMS, 0)
    assert_gone(call, *doomed)


def test_the_handler_runs_the_job_from_the_sample_schedule_event(call, doomed, monkeypatch):
    monkeypatch.setenv("SITE_DELETION_GRACE_S", "0")
    monkeypatch.setenv("SITE_DELETION_MARGIN_S", "1")
    event = json.loads((ROOT / "events/site_deletion.json").read_text())
    report = load_handler_module("SiteDeletionFunction").lambda_handler(event, TickingContext(60_000))
    assert (report["sites_deleted"], report["items_deleted"], report["out_of_time"]) == (1, ITEMS, False)
    assert_gone(call, *doomed)


def test_a_run_out_of_lambda_time_stops_saves_progress_and_the_next_resumes(call, doomed, monkeypatch):
    site, _ = doomed
    monkeypatch.setenv("SITE_DELETION_GRACE_S", "0")
    monkeypatch.setenv("SITE_DELETION_MARGIN_S", "10")
    monkeypatch.setenv("SITE_DELETION_PAGE_SIZE", "50")
    handler = load_handler_module("SiteDeletionFunction")
    event = json.loads((ROOT / "events/site_deletion.json").read_text())
    # enough ticks to pass the (empty) web analytics locations and delete part of the site's own items
    ticks = len(SITE_DATA_LOCATIONS) + 3
    first = handler.lambda_handler(event, TickingContext(10_000 + ticks * 1_000, step_ms=1_000))
    assert first["out_of_time"] and first["sites_deleted"] == 0
    assert 0 < first["items_deleted"] < ITEMS
    state = DynamoDeletionQueue(os.environ["SITES_TABLE"]).state(SiteRef("demo", site["site_id"]))
    assert state.location == "sites.own-items" and state.cursor  # progress is on the site item
    assert site_store().claim("doomed.example").site_id == site["site_id"]  # still claimed
    assert owned("demo", site["site_id"]) == ITEMS - first["items_deleted"]

    second = handler.lambda_handler(event, TickingContext(60_000))
    assert second["sites_deleted"] == 1
    assert first["items_deleted"] + second["items_deleted"] == ITEMS
    assert_gone(call, *doomed)


def test_runs_cut_short_at_every_possible_point_still_end_with_everything_deleted(call, doomed):
    # Runs cut after 0..5 budget checks, then one with time to spare: deletion needs one clean pass
    # over every location within a run (SITE_DATA_LOCATIONS), which the tiniest budgets cannot give.
    for steps in (*range(0, 6), None):
        report = None
        for _ in range(60):
            report = run(budget=Steps(steps), page_size=40)
            if not report.out_of_time and report.sites_seen == 0:
                break
        assert report is not None and report.failures == 0
    assert_gone(call, *doomed)


def test_running_the_job_again_after_it_finished_does_nothing(call, doomed):
    run()
    again = run()
    assert (again.sites_seen, again.sites_deleted, again.items_deleted, again.failures) == (0, 0, 0, 0)
    assert_gone(call, *doomed)


def test_a_run_that_loses_a_race_with_a_finished_run_notices_and_stops(call, doomed):
    site, _ = doomed
    queue = DynamoDeletionQueue(os.environ["SITES_TABLE"])
    ref = SiteRef("demo", site["site_id"])
    stale = queue.state(ref)
    run()  # another run finishes the site
    assert queue.state(ref) is None
    assert not queue.save_progress(ref, "sites.own-items", None)  # no resurrection of the site item
    assert not queue.finalise(stale)
    assert_gone(call, *doomed)


def test_the_site_and_its_domain_stay_until_the_grace_period_has_passed(call, doomed):
    site, _ = doomed
    requested = datetime.fromisoformat(sites_call("GET", site["site_id"]).body["updated_at"])
    early = run(now=requested + timedelta(seconds=100), grace_s=300)
    assert (early.sites_deleted, early.items_deleted, early.outcomes[site["site_id"]]) == (
        0, ITEMS, Outcome.waiting.value)
    assert site_store().claim("doomed.example") is not None
    assert sites_call("GET", site["site_id"]).body["status"] == "deleting"

    seed("demo", site["site_id"], 7)  # late writes (an ingest container with a stale cache)
    late = run(now=requested + timedelta(seconds=301), grace_s=300)
    assert (late.sites_deleted, late.items_deleted) == (1, 7)
    assert_gone(call, *doomed)


def test_concurrent_runs_both_finish_cleanly(aws_server, monkeypatch):
    sites = [create(sites_call, f"c{n}.example") for n in range(3)]
    for site in sites:
        seed("demo", site["site_id"], 120)
        assert sites_call("DELETE", site["site_id"]).status == 202
    reports, errors = [], []

    def worker() -> None:
        try:
            reports.append(run(page_size=25))
        except Exception as error:  # noqa: BLE001 - collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and all(r.failures == 0 for r in reports)
    assert sum(r.sites_deleted for r in reports) == 3  # each site finalised exactly once
    for site in sites:
        assert owned("demo", site["site_id"]) == 0
        assert sites_call("GET", site["site_id"]).status == 404
        assert site_store().claim(site["domain"]) is None


class BrokenPager:
    def page(self, client: Any, table_name: str, site: SiteRef, cursor: str | None, limit: int) -> KeyPage:
        raise RuntimeError(f"cannot read {site.site_id}")


def test_a_failing_site_is_recorded_once_per_scheduled_run_and_the_others_proceed(aws, call):
    broken = create(call, "broken.example")
    fine = create(call, "fine.example", org="rival")
    seed("rival", fine["site_id"], 10)
    for site, org in ((broken, "demo"), (fine, "rival")):
        assert call("DELETE", site["site_id"], org=org).status == 202
    locations = (*SITE_DATA_LOCATIONS,
                 SiteDataLocation("test.broken", "SITES_TABLE", _OnlyFor(broken["site_id"], BrokenPager())))
    tick = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=20)
    first = run(locations=locations, scheduled_at=tick)
    retry = run(locations=locations, scheduled_at=tick)  # Lambda retries the same tick
    assert (first.failures, first.sites_deleted, retry.failures) == (1, 1, 1)
    assert call("GET", fine["site_id"], org="rival").status == 404
    assert call("GET", broken["site_id"]).body["status"] == "deleting"
    ledger = DynamoFailureLedger(aws["OpsTable"])
    window = (datetime.now(UTC) - timedelta(minutes=1), datetime.now(UTC) + timedelta(seconds=1))
    assert ledger.count("demo", *window).by_kind[OpsKind.job] == 1
    run(locations=locations, scheduled_at=tick + timedelta(seconds=15))  # the next tick fails again: a new failure
    assert ledger.count("demo", *window).by_kind[OpsKind.job] == 2


class _OnlyFor:
    """Applies `pager` to one site; other sites have nothing at this location."""

    def __init__(self, site_id: str, pager: Any) -> None:
        self.site_id, self.pager = site_id, pager

    def page(self, client: Any, table_name: str, site: SiteRef, cursor: str | None, limit: int) -> KeyPage:
        if site.site_id == self.site_id:
            return self.pager.page(client, table_name, site, cursor, limit)
        return KeyPage(keys=[], cursor=None)
