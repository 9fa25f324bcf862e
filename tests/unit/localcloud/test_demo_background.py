"""`tally dev`'s background demo steps: each in a thread of its own, a failure logged, never fatal."""

from __future__ import annotations

import threading

from tally_dev.demo_background import BackgroundStep, DemoContext, start_after_ready

BOUND_S = 10


def test_every_step_runs_and_a_failing_one_is_logged_without_stopping_the_others():
    said: list[str] = []
    ran = threading.Event()

    def broken(ctx: DemoContext) -> None:
        raise RuntimeError("no repository to mine")

    ctx = DemoContext(cloud=None, demo=None, say=said.append)  # type: ignore[arg-type]
    threads = start_after_ready(ctx, [BackgroundStep("broken", broken),
                                      BackgroundStep("fine", lambda ctx: ran.set())])
    for thread in threads:
        thread.join(BOUND_S)

    assert ran.is_set()
    assert any("demo: broken failed" in line and "no repository to mine" in line for line in said)
    assert "demo: fine done" in said


def test_a_step_that_runs_until_stopped_holds_up_no_other_and_ends_on_stopping():
    other = threading.Event()

    def live_traffic(ctx: DemoContext) -> None:
        while not ctx.stopping.is_set():
            ctx.stopping.wait(0.01)

    ctx = DemoContext(cloud=None, demo=None)  # type: ignore[arg-type]
    forever, short = start_after_ready(ctx, [BackgroundStep("live traffic", live_traffic),
                                             BackgroundStep("usage rows", lambda ctx: other.set())])
    short.join(BOUND_S)
    assert other.is_set() and forever.is_alive()

    ctx.stopping.set()
    forever.join(BOUND_S)
    assert not forever.is_alive()
