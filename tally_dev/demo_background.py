"""Demo parts that `tally dev` runs after it is ready, in the background.

`tally dev` is ready when it prints the dashboard's link (the demo month imported and sealed, see
`tally.cli`); everything else the demo shows — a mined repository, usage rows, live traffic — must
not hold that up. Add such a part to `AFTER_READY`:

    def mine_demo_repository(ctx: DemoContext) -> None:
        ...  # through the product's own paths, against ctx.cloud; ctx.say("...") writes to the log

    AFTER_READY.append(BackgroundStep("mine the demo repository", mine_demo_repository))

Each step runs in a thread of its own as soon as the link is printed (so a step that runs until
Ctrl-C, like a traffic generator, holds up no other: it loops `while not ctx.stopping.is_set()`,
waiting with `ctx.stopping.wait(seconds)`). A step that fails writes its error to the log file and
the local cloud goes on. On Ctrl-C `ctx.stopping` is set before the cloud stops.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tally_dev.demo import DemoData
    from tally_dev.localcloud import LocalCloud


@dataclass
class DemoContext:
    """What a background step gets: the running cloud, the demo data, the stop signal, the log."""

    cloud: LocalCloud
    demo: DemoData
    say: Callable[[str], None] = lambda text: None
    stopping: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class BackgroundStep:
    name: str
    run: Callable[[DemoContext], None]


#: The demo's background steps, started in this order once `tally dev` is ready.
AFTER_READY: list[BackgroundStep] = []


def start_after_ready(ctx: DemoContext, steps: list[BackgroundStep] | None = None) -> list[threading.Thread]:
    """Start every step (default `AFTER_READY`) in a daemon thread of its own; returns the threads."""
    threads = []
    for step in AFTER_READY if steps is None else steps:
        thread = threading.Thread(target=_run, args=(step, ctx), name=f"tally-demo-{step.name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def _run(step: BackgroundStep, ctx: DemoContext) -> None:
    ctx.say(f"demo: {step.name} ...")
    try:
        step.run(ctx)
    except Exception:  # noqa: BLE001 - a demo extra never takes the local cloud down: the log says why
        if not ctx.stopping.is_set():
            ctx.say(f"demo: {step.name} failed:\n{traceback.format_exc()}")
        return
    ctx.say(f"demo: {step.name} done")


def _live_traffic(ctx: DemoContext) -> None:
    from tally_dev.demo_live import live_traffic

    live_traffic(ctx)


AFTER_READY.append(BackgroundStep("live traffic", _live_traffic))


def _code_analytics(ctx: DemoContext) -> None:
    from tally_dev.demo_code import mine_demo_repository

    mine_demo_repository(ctx)


AFTER_READY.append(BackgroundStep("mine the demo repository", _code_analytics))


def _my_usage(ctx: DemoContext) -> None:
    from tally_dev.demo_usage import load_my_usage

    load_my_usage(ctx)


AFTER_READY.append(BackgroundStep("my usage: requests, sessions, data access and an export", _my_usage))
