"""Schedules fire their functions with EventBridge's payloads, accelerated on request, and only when asked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from tally_dev.localcloud import LocalCloud
from tests.integration.localcloud.delivery.conftest import eventually, start_cloud


@pytest.fixture(scope="module")
def ticking(delivery_app: Path) -> Iterator[LocalCloud]:
    cloud = start_cloud(delivery_app, schedules=True, accelerate=120)  # a virtual minute every 0.5 s
    try:
        yield cloud
    finally:
        cloud.stop()


def fired(cloud: LocalCloud, key: str, at_least: int) -> list[EventBridgeModel] | None:
    """The first `at_least` firings of schedule `key`, once they are in, a minute apart (none skipped).

    Firings are asynchronous invocations: one may still run while a later one is done, so this
    waits for an unbroken run from the first rather than looking at a snapshot.
    """
    ticks = [d for d in cloud.delivery.deliveries("TickFunction", "schedule") if d.source == key]
    assert all(t.answer.ok for t in ticks)
    events = sorted((EventBridgeModel.model_validate(t.event) for t in ticks), key=lambda e: e.time)
    run = events[:1]
    for event in events[1:]:
        if event.time - run[-1].time != timedelta(minutes=1):
            break
        run.append(event)
    return run[:at_least] if len(run) >= at_least else None


def test_an_accelerated_rate_schedule_fires_eventbridge_scheduled_events(ticking):
    events = eventually(lambda: fired(ticking, "TickFunction.EveryMinute", 3), what="three rate(1 minute) firings")

    assert {e.source for e in events} == {"aws.events"}
    assert events[0].resources == ["arn:aws:events:us-east-1:123456789012:rule/tally-local-TickFunctionEveryMinute"]
    assert len({e.id for e in events}) == 3


def test_an_accelerated_cron_schedule_v2_fires_its_input_with_the_context_attributes(ticking):
    events = eventually(lambda: fired(ticking, "TickFunction.EachMinute", 2), what="two cron(* * * * ? *) firings")

    assert {e.source for e in events} == {"aws.scheduler"}
    assert all(e.time.second == 0 for e in events)  # on the minute, as the cron says
    assert events[0].resources == [
        "arn:aws:scheduler:us-east-1:123456789012:schedule/default/tally-local-TickFunctionEachMinute"]


def test_schedules_are_off_unless_asked_and_can_be_fired_by_hand(cloud):
    assert cloud.delivery.deliveries(kind="schedule") == []

    cloud.delivery.fire("TickFunction.Nightly")

    [tick] = eventually(lambda: cloud.delivery.deliveries(kind="schedule"), what="the fired schedule")
    assert tick.source == "TickFunction.Nightly"
    assert tick.event == {}  # a ScheduleV2 without Input: Scheduler's default notification
    assert tick.answer.ok
