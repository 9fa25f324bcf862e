"""Injected duplicates, crashes and forced errors: every record is delivered again, as Lambda would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tally_dev.localcloud import LocalCloud
from tally_dev.localcloud.faults import FaultsDisabled, any_record, stream_key
from tests.integration.localcloud.delivery.conftest import (
    ACCELERATE,
    deliveries_of,
    function_log,
    keys_of,
    new_pk,
    put_items,
    start_cloud,
    writes,
)


@pytest.fixture(scope="module")
def faulty(delivery_app: Path) -> Iterator[LocalCloud]:
    cloud = start_cloud(delivery_app, accelerate=ACCELERATE, faults=True)
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture(autouse=True)
def no_leftover_faults(faulty: LocalCloud) -> Iterator[None]:
    yield
    faulty.delivery.clear_faults()


def test_a_duplicated_batch_is_delivered_twice_and_the_mapping_acts_on_the_second(faulty, delivery_app):
    pk = new_pk()
    injection = faulty.delivery.inject(function="StreamConsumerFunction", duplicates=1)
    with faulty.delivery.paused():
        put_items(faulty, pk, {"a": "ok", "b": "ok", "c": "ok"})
    faulty.delivery.settle()

    first, second = deliveries_of(faulty, pk)
    assert first.ids == second.ids
    assert first.event == second.event
    assert (first.fault, second.fault) == (None, "duplicate")
    assert first.request_id != second.request_id
    seen = {e["request_id"] for e in function_log(delivery_app, "StreamConsumerFunction")}
    assert {first.request_id, second.request_id} <= seen
    assert writes(faulty, pk) == {"a": 2, "b": 2, "c": 2}
    assert injection.duplicated == 1


def test_a_worker_killed_mid_batch_leaves_its_writes_and_the_batch_is_delivered_again(faulty, delivery_app):
    pk = new_pk()
    injection = faulty.delivery.inject(crash_on=stream_key(pk=pk, sk="b"), crash_after_calls=1)
    with faulty.delivery.paused():
        put_items(faulty, pk, {"a": "ok", "b": "ok", "c": "ok"})
    faulty.delivery.settle()

    crashed, *redelivered = deliveries_of(faulty, pk)
    assert crashed.fault == "crash"
    assert crashed.invocation.error["errorType"] == "Runtime.ExitError"
    assert keys_of(crashed.records) == ["a", "b", "c"]
    # a crash is a function error: the batch is bisected and every record delivered again
    assert [keys_of(d.records) for d in redelivered] == [["a"], ["b", "c"]]
    assert all(d.answer.ok for d in redelivered)
    # the crash came after the first write and before the second
    assert writes(faulty, pk) == {"a": 2, "b": 1, "c": 1}
    assert injection.crashed == 1
    [crashed_run] = [e for e in function_log(delivery_app, "StreamConsumerFunction")
                     if e["request_id"] == crashed.request_id]
    assert not Path(f"/proc/{crashed_run['pid']}").exists() or \
        Path(f"/proc/{crashed_run['pid']}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_a_crash_right_after_a_chosen_call_lands_between_that_write_and_the_next(faulty):
    pk = new_pk()
    injection = faulty.delivery.inject(crash_on=stream_key(pk=pk, sk="a"),
                                       crash_after_call=("UpdateItem", '"sk": {"S": "b"}'))
    with faulty.delivery.paused():
        put_items(faulty, pk, {"a": "ok", "b": "ok", "c": "ok"})
    faulty.delivery.settle()

    crashed, *redelivered = deliveries_of(faulty, pk)
    assert (crashed.fault, injection.crashed) == ("crash", 1)
    assert all(d.answer.ok for d in redelivered)
    # killed after b's write, before c's: then every record came again
    assert writes(faulty, pk) == {"a": 2, "b": 2, "c": 1}


def test_a_crash_before_the_handler_runs_changes_nothing_and_is_redelivered(faulty):
    pk = new_pk()
    faulty.delivery.inject(function="StreamConsumerFunction", crash_on=any_record, crash_after_calls=0)
    with faulty.delivery.paused():
        put_items(faulty, pk, {"only": "ok"})
    faulty.delivery.settle()

    crashed, again = deliveries_of(faulty, pk)
    assert (crashed.fault, again.fault, again.answer.ok) == ("crash", None, True)
    assert writes(faulty, pk) == {"only": 1}


def test_a_forced_error_on_chosen_records_is_retried_like_a_function_error(faulty, delivery_app):
    pk = new_pk()
    injection = faulty.delivery.inject(fail_on=stream_key(pk=pk, sk="x"), failures=1)
    with faulty.delivery.paused():
        put_items(faulty, pk, {"w": "ok", "x": "ok", "y": "ok"})
    faulty.delivery.settle()

    forced, *rest = deliveries_of(faulty, pk)
    assert (forced.fault, forced.invocation.error["errorType"]) == ("error", "InjectedFunctionError")
    assert forced.request_id not in {e["request_id"] for e in function_log(delivery_app, "StreamConsumerFunction")}
    assert [keys_of(d.records) for d in rest] == [["w"], ["x", "y"]]
    assert writes(faulty, pk) == {"w": 1, "x": 1, "y": 1}
    assert injection.failed == 1


def test_injection_applies_only_when_asked(faulty):
    pk = new_pk()
    put_items(faulty, pk, {"plain": "ok"})
    faulty.delivery.settle()

    assert [d.fault for d in deliveries_of(faulty, pk)] == [None]


def test_crashes_cannot_be_injected_into_a_cloud_started_without_faults(cloud):
    with pytest.raises(FaultsDisabled):
        cloud.delivery.inject(crash_on=any_record)
