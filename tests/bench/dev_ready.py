"""`make dev`'s time to a ready dashboard, as a ratio to a baseline measured in the same run.

The run is `tally dev`'s: start the local cloud, create the demo data (its sites too), import the demo month
through the import API and let the aggregator mark it (the baseline: the same import without
sealing), then seal it in bulk (`tally_dev.demo_seal`): ready, the moment `tally dev` prints the
dashboard's link. The ratio says what sealing adds to the import on this machine, whatever its
speed and load; the seconds and the CPU seconds of every process (this one, moto, the workers) are
reported beside it: on an idle 2-core machine the wall time is about the CPU time over two.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from typing import Any

DAYS = 30


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run() -> list[dict[str, Any]]:
    from tally_dev.demo import load_demo_data
    from tally_dev.demo_seal import seal_demo
    from tally_dev.demo_traffic import load_demo_traffic
    from tally_dev.localcloud import LocalCloud

    cpu_before = cpu_seconds()
    started = time.monotonic()
    with tempfile.TemporaryFile("w") as log:
        cloud = LocalCloud(port=0, log=log, schedules=False).start()  # (workers reaped by stop: CPU counted)
        try:
            demo = load_demo_data(cloud)
            admins = {org: demo.token(org, "org_admin") for org in ("demo", "rival")}
            events = sum(load_demo_traffic(cloud.url, admins, days=DAYS, sites_exist=True).values())  # as `tally dev`
            assert cloud.delivery is not None
            cloud.delivery.settle(bound_s=1800)
            imported_s = time.monotonic() - started
            sealed = seal_demo(cloud)
            ready_s = time.monotonic() - started
        finally:
            cloud.stop()
    cpu_s = cpu_seconds() - cpu_before
    load = os.getloadavg()[0]
    return [
        {"name": "dev_ready.ratio_to_import_baseline", "value": round(ready_s / imported_s, 3), "unit": "x",
         "budget": "reported", "ok": None,
         "why": f"ready ({DAYS} days, {events} events, {sealed.hours} hours and {sealed.days} days sealed in bulk) / "
                f"the same start and import without sealing"},
        {"name": "dev_ready.seconds_to_dashboard", "value": round(ready_s, 1), "unit": "s (wall)",
         "budget": "<= 60 idle 2-core", "ok": None, "why": f"load average {load:.1f} on {os.cpu_count()} CPUs"},
        {"name": "dev_ready.import_baseline_seconds", "value": round(imported_s, 1), "unit": "s (wall)",
         "budget": "baseline", "ok": None},
        {"name": "dev_ready.cpu_seconds_all_processes", "value": round(cpu_s, 1), "unit": "s (CPU)",
         "budget": "<= 120 (2 cores x 60 s)", "ok": None},
        {"name": "dev_ready.buckets_left_to_schedules", "value": sealed.left, "unit": "buckets",
         "budget": "the last hour(s)", "ok": None},
    ]
