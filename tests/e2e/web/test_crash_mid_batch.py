"""Through the local cloud: the aggregator crashes between two writes in the middle of a batch,
Lambda-style redelivery follows, and the sealed rollups still equal a recount of what was sent."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx

from tally.web.aggregate.rollup_store import RollupStore
from tally.web.aggregate.zones import Grain, bucket_start
from tally_dev.demo import load_demo_data
from tally_dev.localcloud import LocalCloud
from tally_dev.localcloud.faults import any_record
from tally_dev.template import ROOT


def test_a_crash_mid_batch_is_redelivered_and_counted_once(tmp_path):
    with (tmp_path / "cloud.log").open("w") as log, LocalCloud(port=0, log=log, faults=True) as cloud:
        demo = load_demo_data(cloud)
        admin = {"Authorization": f"Bearer {demo.token('demo', 'org_admin')}"}
        with httpx.Client(base_url=cloud.url, timeout=60) as http:
            site = http.post("/api/v1/sites", headers=admin, json={"domain": "crash.test", "timezone": "UTC"}).json()
            # the aggregator's next batch dies after its first write, before answering
            injection = cloud.delivery.inject(function="AggregatorFunction", crash_on=any_record,
                                              crash_after_calls=1, crashes=1)
            start = datetime.now(UTC) - timedelta(hours=5)
            lines = [{"id": f"c{i}", "timestamp": (start + timedelta(minutes=3 * i)).isoformat(), "name": "pageview",
                      "url": f"https://crash.test/p{i % 4}", "visitor": f"v{i % 9}"} for i in range(60)]
            body = "\n".join(json.dumps(x) for x in lines)
            response = http.post(f"/api/v1/sites/{site['site_id']}/events/import", content=body.encode(),
                                 headers={**admin, "Content-Type": "application/x-ndjson"})
            assert response.json()["accepted"] == 60
        cloud.delivery.settle()
        assert injection.crashed == 1
        sealer_event = {**json.loads((ROOT / "events" / "sealer.json").read_text()), "id": str(uuid.uuid4())}
        cloud.invoke("SealerFunction", sealer_event)
        store = RollupStore(cloud.tables["RollupsTable"], cloud.dynamodb)
        hours = store.read_totals(site["site_id"], Grain.hour, 0, 2**42)
        expected = Counter(bucket_start(Grain.hour, int(datetime.fromisoformat(x["timestamp"]).timestamp() * 1000),
                                        "UTC") for x in lines)
        sealed = {h.start_ms: h.totals.pageviews for h in hours}
        old_enough = int((datetime.now(UTC) - timedelta(hours=2, minutes=5)).timestamp() * 1000)
        assert {h for h in expected if h < old_enough} <= set(sealed)  # every settled hour was sealed
        for hour, pageviews in sealed.items():
            assert pageviews == expected[hour], hour  # and each equals the recount: nothing lost or doubled
