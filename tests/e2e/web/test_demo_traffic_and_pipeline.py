"""Over the local cloud: demo traffic goes in through the import API, the stream marks it, the
sealer seals it, and the hour rollups equal a recount of what was imported."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain, bucket_start
from tally_dev.demo_traffic import SITES, history, load_demo_traffic
from tally_dev.template import ROOT


def test_demo_history_is_imported_marked_and_sealed_exactly(local):
    cloud = local.cloud
    now = datetime.now(UTC)
    tokens = {org: local.demo.token(org, "org_admin") for org in ("demo", "rival")}
    accepted = load_demo_traffic(cloud.url, tokens, days=2, now=now)
    # importing the same history again changes nothing
    assert load_demo_traffic(cloud.url, tokens, days=2, now=now) == accepted
    site = SITES[1]
    lines = list(history(site, days=2, now=now))
    assert accepted[site.domain] == len(lines)

    cloud.delivery.settle()  # every stream record delivered to the aggregator
    sealer_event = json.loads((ROOT / "events" / "sealer.json").read_text())
    for _ in range(2):  # the second run finds nothing left to seal
        cloud.invoke("SealerFunction", sealer_event)
    listing = cloud.dynamodb.scan(TableName=cloud.tables["SitesTable"])["Items"]
    site_id = next(i["site_id"]["S"] for i in listing if i.get("domain", {}).get("S") == site.domain)
    store = RollupStore(cloud.tables["RollupsTable"], cloud.dynamodb)
    start = int((now - timedelta(days=3)).timestamp() * 1000)
    hours = {r.start_ms: r.totals.pageviews for r in store.read_totals(site_id, Grain.hour, start, 2**42)}
    expected = Counter(bucket_start(Grain.hour, int(datetime.fromisoformat(x["timestamp"]).timestamp() * 1000),
                                    site.timezone)
                       for x in lines if x["name"] == "pageview")
    settled = int((now - timedelta(hours=1, minutes=5)).timestamp() * 1000)
    for hour, count in expected.items():
        if hour < settled - 3_600_000:  # hours old enough to be sealed by now
            assert hours.get(hour) == count, hour
