"""`make dev`'s path over a local cloud of its own: the demo history imported through the import API,
the stream settled, the month sealed in bulk (`seal_demo`: two writers, no client-side checks) —
every sealed hour equals a recount of the raw events, and the scheduled sealer finds only the buckets
that were not due yet."""

from __future__ import annotations

import json
from collections import defaultdict

from tally.web.aggregate.marks import DirtyMarks
from tally.web.aggregate.raw_store import from_item
from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain, bucket_start
from tally_dev.demo import load_demo_data
from tally_dev.demo_seal import seal_demo
from tally_dev.demo_traffic import load_demo_traffic
from tally_dev.localcloud import LocalCloud
from tally_dev.template import ROOT


def test_the_bulk_sealed_demo_equals_a_recount_and_leaves_the_sealer_nothing(tmp_path):
    with (tmp_path / "cloud.log").open("w") as log, LocalCloud(port=0, log=log) as cloud:
        demo = load_demo_data(cloud)
        admins = {org: demo.token(org, "org_admin") for org in ("demo", "rival")}
        # two whole local days before today (due at any hour) and today so far
        assert sum(load_demo_traffic(cloud.url, admins, days=3).values()) > 0
        assert cloud.delivery is not None
        cloud.delivery.settle()

        sealed = seal_demo(cloud)

        assert sealed.hours > 24 and sealed.days >= 2
        pageviews: dict[tuple[str, int], int] = defaultdict(int)
        visitors: dict[tuple[str, int], set[str]] = defaultdict(set)
        for page in cloud.dynamodb.get_paginator("scan").paginate(TableName=cloud.tables["EventsTable"]):
            for item in page["Items"]:
                if "n" in item:
                    event = from_item(item)
                    hour = (event.site_id, bucket_start(Grain.hour, event.ts_ms, item["z"]["S"]))
                    pageviews[hour] += event.name == "pageview"
                    visitors[hour].add(event.visitor)
        marks, rollups = DirtyMarks(cloud.tables["RollupsTable"], cloud.dynamodb), \
            RollupStore(cloud.tables["RollupsTable"], cloud.dynamodb)
        checked = 0
        for site_id in {site for site, _ in pageviews}:
            stored = {r.start_ms: r.totals for r in rollups.read_totals(site_id, Grain.hour, 0, 10**13 - 1)}
            for mark in marks.states(site_id, Grain.hour, 0, 10**13 - 1):
                if mark.version == mark.sealed:
                    totals = stored[mark.start_ms]
                    key = (site_id, mark.start_ms)
                    assert (totals.pageviews, totals.visitors.estimate()) == (pageviews[key], len(visitors[key]))
                    checked += 1
        assert checked >= sealed.hours

        report = cloud.invoke("SealerFunction", json.loads((ROOT / "events" / "sealer.json").read_text())).result()
        assert report["sealed"] + report["unchanged"] <= sealed.left, report  # only what was not due yet
