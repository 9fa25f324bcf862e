"""Deleting a site removes its raw events, rollups, spans, kept answers, marks and import secret —
and nothing of another site."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import boto3

from tally.sites.deletion import DeletionRun
from tally.sites.model import SiteCreate
from tally.sites.queue import DynamoDeletionQueue
from tally.sites.service import create_site, delete_site
from tally.sites.store import DynamoSiteStore
from tally.web.aggregate.marking import Aggregator, Change
from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.pipeline import Sealer
from tally.web.aggregate.raw_store import RawEventStore
from tally.web.aggregate.rollup import GOAL_PROPS_PREFIX
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.ingest.site_secrets import SiteSecrets
from tally.web.query.answers import AnswerStore, answer_key
from tests.integration.sites.test_deletion_job import SITE_DATA_LOCATIONS, Steps
from tests.integration.web.aggregate.test_pipeline_exactly_once import BASE, Clock, to_raw
from tests.unit.web.aggregate.oracle import OracleEvent


def web_items(site_id: str) -> int:
    """Every item of the site in the web analytics tables, found by scanning (what must be empty)."""
    count = 0
    for table in (os.environ["EVENTS_TABLE"], os.environ["ROLLUPS_TABLE"], os.environ["SALTS_TABLE"]):
        for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table):
            count += sum(1 for item in page["Items"] if site_id in item["pk"]["S"])
    return count


def goal_props_items(site_id: str) -> int:
    count = 0
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=os.environ["ROLLUPS_TABLE"]):
        count += sum(1 for item in page["Items"] if site_id in item["pk"]["S"]
                     and item["sk"]["S"].startswith(GOAL_PROPS_PREFIX))
    return count


def load(site, tz: str, n: int) -> None:
    raw, marks = RawEventStore(os.environ["EVENTS_TABLE"]), DirtyMarks(os.environ["ROLLUPS_TABLE"])
    # every fourth event a goal with props: its goal-props dimension must go too
    events = [to_raw(site.site_id, OracleEvent(f"{site.site_id}-{i}", f"u{i % 5}", BASE + i * 700_000,
                                               "Signup" if i % 4 == 0 else "pageview", "/", True, "Google",
                                               (("plan", "pro"),) if i % 4 == 0 else ())) for i in range(n)]
    for event in events:
        raw.put(event, 4_000_000_000, tz=tz)
    Aggregator(marks).mark(Change(e, tz) for e in events)
    Sealer(marks, raw, RollupStore(os.environ["ROLLUPS_TABLE"]), Clock(BASE + 10 * 86_400_000)).run(
        deadline=lambda: False)
    SiteSecrets(os.environ["SALTS_TABLE"]).secret(site.site_id)
    AnswerStore(os.environ["ROLLUPS_TABLE"]).put(site.site_id, answer_key("overview"), "digest", [{"kept": True}])


def test_the_deletion_job_empties_every_web_analytics_location(aws):
    store = DynamoSiteStore(aws["SitesTable"])
    doomed = create_site(store, "demo", SiteCreate(domain="gone.example", timezone="Asia/Kolkata"))
    survivor = create_site(store, "rival", SiteCreate(domain="stays.example"))
    load(doomed, "Asia/Kolkata", 80)  # a :30 zone: local hours straddle UTC hour partitions
    load(survivor, "UTC", 30)
    before = web_items(survivor.site_id)
    assert web_items(doomed.site_id) > 80
    assert goal_props_items(doomed.site_id) > 0
    delete_site(store, "demo", doomed.site_id)
    for _ in range(20):  # small pages and a tiny budget: many resumed runs
        report = DeletionRun(queue=DynamoDeletionQueue(aws["SitesTable"]), budget=Steps(), page_size=7,
                             grace=timedelta(0), scheduled_at=datetime.now(UTC),
                             now=datetime.now(UTC) + timedelta(seconds=1), environ=os.environ,
                             locations=SITE_DATA_LOCATIONS).run()
        if report.sites_deleted:
            break
    assert web_items(doomed.site_id) == 0
    assert web_items(survivor.site_id) == before
