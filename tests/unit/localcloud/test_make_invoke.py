"""`make invoke`'s pieces: which answers fail it, and how it finds a running `make dev` (its state file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tally_dev.cli import verdict
from tally_dev.dev_state import DevState, announced, running, state_path
from tally_dev.template import ROOT


@pytest.mark.parametrize(("answer", "ok", "failure"), [
    ({"statusCode": 200, "body": "{}"}, True, None),
    ({"statusCode": 202}, True, None),
    ({"statusCode": 404}, True, "answered 404"),
    ({"statusCode": 503}, True, "answered 503"),
    ({"errorMessage": "boom", "errorType": "ValueError"}, False, "raised an error"),
    ({"batchItemFailures": []}, True, None),
    ({"batchItemFailures": [{"itemIdentifier": "m-1"}]}, True, "reported 1 failed record(s) of the batch"),
    ({"isAuthorized": True, "context": {"authenticated": True}}, True, None),
    ({"isAuthorized": False}, True, "refused the request (isAuthorized: false)"),
    ({"isAuthorized": True, "context": {"authenticated": False, "auth_message": "token expired"}}, True,
     "did not authenticate the caller: token expired"),
    (None, True, None),  # a schedule's function may return nothing
])
def test_make_invoke_fails_on_an_error_a_non_2xx_answer_failed_records_or_a_refused_caller(answer, ok, failure):
    assert verdict(answer, ok) == failure


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TALLY_DEV_STATE_DIR", str(tmp_path))
    return tmp_path


def state(pid: int, root: str = str(ROOT)) -> DevState:
    return DevState(pid=pid, root=root, url="http://127.0.0.1:3000", endpoint="http://127.0.0.1:5000",
                    invoke_url="http://127.0.0.1:5001")


def test_a_running_dev_of_this_checkout_is_found_while_its_state_file_is_announced(state_dir):
    with announced(state(os.getpid()), 3000) as path:
        assert path == state_path(3000) == state_dir / "tally-dev-3000.state.json"
        assert running() == [state(os.getpid())]
    assert not path.exists()
    assert running() == []


def test_the_state_file_is_removed_even_when_the_dev_fails(state_dir):
    with pytest.raises(RuntimeError), announced(state(os.getpid()), 3000):
        raise RuntimeError("a step of the demo failed")

    assert list(state_dir.iterdir()) == []


def test_another_checkouts_dev_is_not_used(state_dir, tmp_path):
    with announced(state(os.getpid(), root=str(tmp_path)), 3000):
        assert running() == []


def test_a_dead_devs_state_file_is_stale_and_removed(state_dir):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    path = state_path(3200)
    path.write_text(json.dumps(state(int(gone.stdout)).__dict__))

    assert running() == []
    assert not path.exists()
