"""A signal whose exception some code on the main thread swallows still stops the local cloud."""

from __future__ import annotations

import os
import signal
import threading

from tally_dev.localcloud.session import run_until_signalled


class RecordingCloud:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def kill(self) -> None:
        self.calls.append("kill")


def test_a_sigint_lost_inside_work_still_stops_the_cloud_instead_of_serving_on():
    cloud = RecordingCloud()

    def work(_: object) -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)  # delivered to this (the main) thread at the next bytecode
            for _ in range(1000):
                pass
        except BaseException:  # noqa: BLE001 - as a library's broad handler would
            pass

    rescued = threading.Event()

    def rescue() -> None:  # a second signal, so that a failure ends instead of serving forever
        rescued.set()
        os.kill(os.getpid(), signal.SIGTERM)

    rescuer = threading.Timer(5.0, rescue)
    rescuer.start()
    try:
        run_until_signalled(cloud, work)  # type: ignore[arg-type]
    finally:
        rescuer.cancel()

    assert not rescued.is_set(), "the lost SIGINT left the cloud serving until a second signal"
    assert cloud.calls == ["start", "stop"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
