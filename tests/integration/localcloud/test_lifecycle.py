"""Starting and stopping: a taken port fails clearly, and stop() leaves no process behind."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import httpx
import pytest

from tally_dev.localcloud import LocalCloud, PortInUse


def children_of(pid: int) -> set[int]:
    """Live (not zombie) child processes of `pid`, from /proc."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            children.add(int(entry.name))
    return children


def test_stopping_leaves_no_process_behind(sample_app):
    before = children_of(os.getpid())
    with (sample_app / "lifecycle.log").open("w") as log:
        cloud = LocalCloud(port=0, template_path=sample_app / "template.yaml", log=log).start()
        try:
            assert httpx.get(f"{cloud.url}/echo/env", headers={"Authorization": "a"}).status_code == 200
            assert cloud.invoke("BrokenFunction", {}).error
            started = set(cloud.child_pids())
            assert len(started) >= 3  # moto, the gate's worker, the echo worker
            assert started <= children_of(os.getpid())
        finally:
            cloud.stop()

    assert children_of(os.getpid()) <= before
    assert not any(Path(f"/proc/{pid}").exists() for pid in started)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{cloud.url}/echo/env")


def test_stop_is_safe_twice_and_before_start(sample_app):
    cloud = LocalCloud(port=0, template_path=sample_app / "template.yaml", http=False)
    cloud.stop()
    cloud.start()
    cloud.stop()
    cloud.stop()

    assert cloud.child_pids() == []


def test_a_taken_port_fails_with_a_clear_message_and_starts_nothing(sample_app):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        before = children_of(os.getpid())

        with pytest.raises(PortInUse) as raised:
            LocalCloud(port=port, template_path=sample_app / "template.yaml").start()

    assert str(raised.value) == (f"Tally's local cloud already runs on 127.0.0.1:{port} "
                                 "(or another program holds the port)")
    assert children_of(os.getpid()) <= before
