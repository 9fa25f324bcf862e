"""Stopping is reliable: SIGINT or SIGTERM stop a local cloud and every worker at any time (starting,
under load), and when the local cloud is killed outright its workers and moto go with it."""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tally_dev.template import ROOT
from tests.integration.localcloud.delivery.conftest import eventually

BOUND_S = 120.0  # a loaded CI machine: starting takes long; stopping is bounded by STOP_BOUND_S + a grace
STOPPED_BOUND_S = 30.0


def processes_of(parent: int) -> set[int]:
    """Live workers and moto servers started by the local cloud in process `parent` (their last argument
    names it, so they are found even once reparented)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        argv = [a for a in argv if a]
        if state != "Z" and len(argv) >= 3 and argv[-1] == str(parent).encode() and any(
                a.endswith((b"worker.py", b"moto_host.py")) for a in argv):
            found.add(int(entry.name))
    return found


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (`/proc/<pid>/stat` field 22), None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def still_running(pid: int, since: str | None) -> bool:
    """The same process (pid and start time: pids wrap at 32768 on a busy machine) is alive, not a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == since and fields[0] != "Z"


class Driver:
    """`signalled_cloud.py` in a subprocess; its output read line by line with a bound."""

    def __init__(self, sample_app: Path, busy: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.localcloud.signalled_cloud", str(sample_app / "template.yaml"),
             str(sample_app / f"signals-{os.getpid()}-{id(self)}.log"), str(busy)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.seen: list[str] = []

    def until(self, text: str) -> None:
        import queue
        import threading

        lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        line = lines.get(timeout=BOUND_S)
        self.seen.append(line)
        assert text in line, self.seen

    def kill_everything(self) -> None:
        """The test's own cleanup, whatever happened: no process of this driver survives the test."""
        pids = processes_of(self.process.pid)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pid in pids | processes_of(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def drivers(sample_app: Path) -> Iterator[list[Driver]]:
    started: list[Driver] = []
    yield started
    for driver in started:
        driver.kill_everything()


def start(drivers: list[Driver], sample_app: Path, busy: int = 0) -> Driver:
    driver = Driver(sample_app, busy)
    drivers.append(driver)
    driver.until("starting")
    return driver


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_under_load_stops_the_cloud_and_every_worker(drivers, sample_app, signum):
    driver = start(drivers, sample_app, busy=3)
    driver.until("working")
    eventually(lambda: len(processes_of(driver.process.pid)) >= 4, what="moto, the gate and busy echo workers")

    driver.process.send_signal(signum)

    assert driver.process.wait(timeout=STOPPED_BOUND_S) == 0
    driver.until("stopped")
    eventually(lambda: not processes_of(driver.process.pid), bound_s=STOPPED_BOUND_S, what="no worker left")


def test_sigterm_while_the_cloud_is_starting_stops_what_it_started(drivers, sample_app):
    driver = start(drivers, sample_app)

    driver.process.send_signal(signal.SIGTERM)

    assert driver.process.wait(timeout=STOPPED_BOUND_S) == 0
    eventually(lambda: not processes_of(driver.process.pid), bound_s=STOPPED_BOUND_S, what="no worker left")


def test_workers_and_moto_die_with_a_killed_local_cloud_busy_or_idle(drivers, sample_app):
    driver = start(drivers, sample_app, busy=2)
    driver.until("working")
    started = eventually(lambda: (found := processes_of(driver.process.pid)) and len(found) >= 4 and found,
                         what="moto, an idle gate worker and busy echo workers")

    born = {pid: start_time(pid) for pid in started}
    driver.process.kill()  # SIGKILL: no handler, no stop(): only the kernel and the lifeline act
    driver.process.wait(timeout=STOPPED_BOUND_S)

    eventually(lambda: not processes_of(driver.process.pid), bound_s=STOPPED_BOUND_S, what="no orphan left")
    # a process being reaped shows an empty cmdline before its state turns Z: wait for the same bound
    eventually(lambda: not any(still_running(pid, since) for pid, since in born.items()), bound_s=STOPPED_BOUND_S,
               what="every process it started gone")


def send_to_another_thread(pid: int, signum: int) -> None:
    """tgkill(2) the signal to a thread of `pid` other than its main thread, as the kernel itself sometimes
    delivers a process's signal: only that thread's C handler runs, flagging it for the main thread."""
    import ctypes

    others = sorted(int(task.name) for task in Path(f"/proc/{pid}/task").iterdir() if int(task.name) != pid)
    assert others, "the local cloud runs threads besides its main thread"
    tgkill = {"x86_64": 234, "aarch64": 131}[platform.machine()]  # the syscall's number; Python has no tgkill
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(tgkill, pid, others[-1], signum) == 0, ctypes.get_errno()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_delivered_to_another_thread_still_stops_the_cloud(drivers, sample_app, signum):
    """The serving main thread is asleep; an untimed wait there would never run the flagged handler (a
    `make dev` kept serving after Ctrl-C in 1 stop in 40)."""
    driver = start(drivers, sample_app, busy=1)
    driver.until("working")

    send_to_another_thread(driver.process.pid, signum)

    assert driver.process.wait(timeout=STOPPED_BOUND_S) == 0
    driver.until("stopped")
    eventually(lambda: not processes_of(driver.process.pid), bound_s=STOPPED_BOUND_S, what="no worker left")
