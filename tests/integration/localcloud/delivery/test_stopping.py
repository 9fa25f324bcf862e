"""Stopping a delivering cloud ends its pollers, scheduler and workers: no process or thread is left."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from tests.integration.localcloud.delivery.conftest import eventually, new_pk, put_items, start_cloud
from tests.integration.localcloud.test_lifecycle import children_of


def test_stopping_mid_delivery_leaves_no_process_or_thread_behind(delivery_app: Path):
    before = children_of(os.getpid())
    threads_before = set(threading.enumerate())
    cloud = start_cloud(delivery_app, schedules=True, accelerate=600, faults=True)
    try:
        pk = new_pk()
        put_items(cloud, pk, {"a": "raise"})  # a poison record keeps the stream poller retrying
        eventually(lambda: cloud.delivery.deliveries("StreamConsumerFunction"), what="a stream delivery")
        eventually(lambda: cloud.delivery.deliveries("TickFunction"), what="a schedule firing")
        started = set(cloud.child_pids())
        assert started
    finally:
        cloud.stop()

    assert children_of(os.getpid()) <= before
    assert not any(Path(f"/proc/{pid}").exists() and
                   Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z" for pid in started)
    assert not cloud.delivery.threads_alive()
    assert not [t.name for t in set(threading.enumerate()) - threads_before if t.name.startswith("tally-local-")]
    cloud.stop()  # twice is fine
