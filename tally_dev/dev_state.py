"""How `make invoke` finds a running `make dev`: a state file per port, written by `tally dev` once its
demo data is in and removed when it stops.

    $TMPDIR/tally-dev-<port>.state.json   {"pid", "root", "url", "endpoint", "invoke_url"}

`root` is the checkout `tally dev` runs from: another checkout's local cloud (another worktree's
code) is never used. A file whose process is gone (`tally dev` killed with SIGKILL) is stale and
is removed when found. `TALLY_DEV_STATE_DIR` moves the files (tests use a directory of their own).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from tally_dev.template import ROOT

STATE_DIR_VARIABLE = "TALLY_DEV_STATE_DIR"


@dataclass(frozen=True)
class DevState:
    """A running `tally dev`: its process, checkout, HTTP API, moto endpoint and Invoke API."""

    pid: int
    root: str
    url: str
    endpoint: str
    invoke_url: str


def state_dir() -> Path:
    return Path(os.environ.get(STATE_DIR_VARIABLE) or tempfile.gettempdir())


def state_path(port: int) -> Path:
    return state_dir() / f"tally-dev-{port}.state.json"


@contextlib.contextmanager
def announced(state: DevState, port: int) -> Iterator[Path]:
    """Write the state file for as long as the block runs (removed however it ends)."""
    path = state_path(port)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(asdict(state)))
    scratch.replace(path)  # whole or absent: a reader never sees half a file
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def running(root: Path = ROOT) -> list[DevState]:
    """The `tally dev`s running from `root`, newest file first; stale files are removed."""
    found = []
    files = sorted(state_dir().glob("tally-dev-*.state.json"), key=_mtime, reverse=True)
    for path in files:
        try:
            state = DevState(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            continue  # being written or not ours to judge
        if Path(state.root) != root.resolve():
            continue
        if not _alive(state.pid):
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        found.append(state)
    return found


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
