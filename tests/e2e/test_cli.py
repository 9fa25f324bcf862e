"""The `tally` commands a developer types: `tally dev`, `tally token`, `make invoke`."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import jwt
import pytest

from tally_dev.template import ROOT
from tally_dev.tokens import LOCAL_JWT_SECRET, issue_token, jwt_parameters

TALLY = [sys.executable, "-m", "tally_dev.cli"]
BOUND_S = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


class Lines:
    """A process's stdout, line by line, read with a bound instead of a sleep."""

    def __init__(self, stream) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line)

    def until(self, text: str, bound_s: float = BOUND_S) -> list[str]:
        deadline = time.monotonic() + bound_s
        while not any(text in line for line in self.seen):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} never appeared in: {''.join(self.seen)}")
            try:
                self.seen.append(self.lines.get(timeout=remaining))
            except queue.Empty:
                continue
        return self.seen


def test_tally_token_prints_a_local_jwt_for_the_org_and_role():
    result = subprocess.run([*TALLY, "token", "--org", "rival", "--role", "org_admin", "--user", "ada"],
                            capture_output=True, text=True, check=True, timeout=BOUND_S)

    issuer, audience = jwt_parameters()
    claims = jwt.decode(result.stdout.strip(), LOCAL_JWT_SECRET, algorithms=["HS256"], audience=audience,
                        issuer=issuer)
    assert (claims["org_id"], claims["roles"], claims["sub"]) == ("rival", ["org_admin"], "ada")
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["sid"]


def no_running_dev(tmp_path: Path) -> dict[str, str]:
    """The environment of a `tally` command that sees no `make dev` (a developer's may be running)."""
    return {**os.environ, "TALLY_DEV_STATE_DIR": str(tmp_path)}


def test_make_invoke_runs_one_function_with_a_sample_event(tmp_path):
    result = subprocess.run(["make", "--no-print-directory", "invoke", "FN=OpsFailuresFunction",
                             "EVENT=events/ops_failures.json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=BOUND_S, env=no_running_dev(tmp_path))

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200
    body = json.loads(answer["body"])
    assert body["since"] == "24h"
    assert body["count"] == 5  # the demo org's recorded failures


def test_make_invoke_says_it_runs_its_own_cloud_and_fails_on_a_non_2xx_answer(tmp_path):
    event = json.loads((ROOT / "events" / "keys.json").read_text())
    event["requestContext"]["authorizer"]["lambda"]["roles"] = "viewer"  # creating a key needs an org admin
    path = tmp_path / "keys-as-viewer.json"
    path.write_text(json.dumps(event))

    result = subprocess.run([*TALLY, "invoke", "KeysFunction", str(path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=BOUND_S, env=no_running_dev(tmp_path))

    assert result.returncode == 1
    assert json.loads(result.stdout)["statusCode"] == 403
    assert "a local cloud of its own" in result.stderr and "answered 403" in result.stderr
    assert "no `make dev` runs from this checkout" in result.stderr


@pytest.mark.slow
def test_make_invoke_runs_in_the_running_make_dev_whose_state_file_goes_when_it_stops(tmp_path):
    env = no_running_dev(tmp_path)
    port = free_port()
    dev = subprocess.Popen([*TALLY, "dev", "--port", str(port), "--demo-days", "0", "--no-schedules"], cwd=ROOT,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        Lines(dev.stdout).until("Press Ctrl-C")
        state = tmp_path / f"tally-dev-{port}.state.json"
        assert json.loads(state.read_text())["pid"] == dev.pid

        def invoke() -> subprocess.CompletedProcess[str]:
            return subprocess.run(["make", "--no-print-directory", "invoke", "FN=SitesFunction",
                                   "EVENT=events/sites.json"], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=BOUND_S)

        first, second = invoke(), invoke()

        assert first.returncode == 0, first.stderr
        assert f"runs in the running `make dev` at http://127.0.0.1:{port} (pid {dev.pid})" in first.stderr
        assert json.loads(first.stdout)["statusCode"] == 201
        # the same cloud both times: the sample's site is there now, so the second add is refused
        assert second.returncode != 0  # make exits 2 when `tally invoke` exits 1
        assert json.loads(second.stdout)["statusCode"] == 409 and "answered 409" in second.stderr
        admin = issue_token("demo", "org_admin")
        sites = httpx.get(f"http://127.0.0.1:{port}/api/v1/sites", headers={"Authorization": f"Bearer {admin}"},
                          timeout=30).json()["sites"]
        assert {"demo.tally.test", "example.com"} <= {site["domain"] for site in sites}

        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=BOUND_S) == 0
        assert not state.exists()
    finally:
        if dev.poll() is None:
            dev.kill()
            dev.wait()


def test_tally_invoke_reports_an_unknown_function():
    result = subprocess.run([*TALLY, "invoke", "NoSuchFunction", "events/fallback.json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=BOUND_S)

    assert result.returncode == 2
    assert "no function 'NoSuchFunction'" in result.stderr


@pytest.mark.slow
def test_tally_dev_serves_until_ctrl_c_and_a_second_one_says_the_port_is_taken(tmp_path):
    port = free_port()
    # a day of demo traffic: `tally dev` announces itself once the sealer has worked through it
    dev = subprocess.Popen([*TALLY, "dev", "--port", str(port), "--demo-days", "1"], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, env=no_running_dev(tmp_path))
    try:
        output = "".join(Lines(dev.stdout).until("Press Ctrl-C", bound_s=3 * BOUND_S))
        assert f"http://127.0.0.1:{port}" in output
        assert "curl" in output
        log = Path(next(line.split(": ", 1)[1].strip() for line in output.splitlines()
                        if line.strip().startswith("Logs:")))
        assert "START RequestId" not in output  # the functions' log lines go to the log file
        assert "START RequestId" in log.read_text()
        token = next(line.split(": ", 1)[1].strip() for line in output.splitlines()
                     if line.strip().startswith("viewer") and "(demo-viewer)" in line)
        assert f"  Dashboard: http://127.0.0.1:{port}/#token={token}\n" in output
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")

        second = subprocess.run([*TALLY, "dev", "--port", str(port)], cwd=ROOT, capture_output=True, text=True,
                                timeout=BOUND_S)
        assert second.returncode == 1
        assert (f"Tally's local cloud already runs on 127.0.0.1:{port} (or another program holds the port)"
                in second.stderr)

        answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/ops/failures",
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == 200
        assert answer.json()["count"] == 5
        started = children_of(dev.pid)
        assert started

        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=BOUND_S) == 0
    finally:
        if dev.poll() is None:
            dev.kill()
            dev.wait()
    assert not any(os.path.exists(f"/proc/{pid}") for pid in started)
