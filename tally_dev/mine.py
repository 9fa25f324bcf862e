"""`tally mine PATH_OR_URL --out DIR`: mine a repository into the JSON files a cloud run uploads.

The same steps as a run (`tally.code.mining`), to the end: overview.json, activity.json,
ownership.json, branches.json and status.json in DIR. A URL is cloned (bare) into a temporary
directory first. On a terminal a progress bar shows commits done / total and the phase; otherwise
one plain line per phase.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from tally.code.mining import (
    Limits,
    MineRequest,
    Progress,
    RepositoryIncomplete,
    UnknownBranch,
    clone_bare,
    mine_all,
    status_document,
)

EXPORTS = ("overview", "activity", "ownership", "branches")
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class ProgressBar:
    """A bar rewritten in place on a terminal; a line per phase otherwise."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream, self.width = stream, width
        self.tty = stream.isatty()
        self.last: Progress | None = None

    def __call__(self, progress: Progress) -> None:
        if self.tty:
            share = progress.commits_done / progress.commits_total if progress.commits_total else 1.0
            filled = round(share * self.width)
            self.stream.write(f"\r\033[K[{'#' * filled}{'.' * (self.width - filled)}] "
                              f"{progress.commits_done}/{progress.commits_total} commits · {progress.phase}")
        elif self.last is None or self.last.phase != progress.phase:
            self.stream.write(f"mining: {progress.phase}, {progress.commits_done}/{progress.commits_total} commits\n")
        self.stream.flush()
        self.last = progress

    def close(self) -> None:
        if self.tty and self.last is not None:
            self.stream.write("\n")
            self.stream.flush()


def full_name_of(source: str) -> str:
    """owner/name from a URL's path or a directory's last two parts."""
    path = source.rstrip("/").removesuffix(".git")
    parts = [part for part in re.split(r"[/:]", path) if part]
    return "/".join(parts[-2:]) if len(parts) >= 2 else (parts[-1] if parts else source)


def mine(source: str, out: Path, *, branch: str | None = None, name: str | None = None,
         codebase_id: str = "local", cache_file: Path | None = None, stream: TextIO | None = None) -> int:
    stream = stream or sys.stderr
    out.mkdir(parents=True, exist_ok=True)
    started_at = _now()
    bar = ProgressBar(stream)
    full_name = name or full_name_of(source if URL.match(source) else str(Path(source).resolve()))
    cache = json.loads(cache_file.read_text()) if cache_file is not None and cache_file.exists() else None
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="tally-mine-") as scratch:
            path = source
            if URL.match(source):
                stream.write(f"mining: cloning {source}\n")
                path = clone_bare(source, str(Path(scratch) / "repo.git"))
            outcome = mine_all(MineRequest(repo_path=path, codebase_id=codebase_id, full_name=full_name,
                                           default_branch=branch), cache=cache, progress=bar,
                               limits=Limits(history_batch=500))
    except (RepositoryIncomplete, UnknownBranch) as error:
        bar.close()
        last = bar.last
        _write(out / "status.json", status_document(
            codebase_id=codebase_id, state="failed", phase=last.phase if last else "scan",
            commits_done=last.commits_done if last else 0, commits_total=last.commits_total if last else 0,
            phase_seconds={}, started_at=started_at, finished_at=_now(), error=str(error)))
        stream.write(f"mining failed: {error}\n")
        return 1
    bar.close()
    assert outcome.exports is not None
    assert outcome.cache is not None
    for export in EXPORTS:
        _write(out / f"{export}.json", outcome.exports[export])
    total = outcome.exports["overview"]["total_commits"]
    _write(out / "status.json", status_document(
        codebase_id=codebase_id, state="succeeded", phase="export", commits_done=total, commits_total=total,
        phase_seconds=outcome.phase_seconds, started_at=started_at, finished_at=_now()))
    if cache_file is not None:
        _write(cache_file, outcome.cache)
    overview = outcome.exports["overview"]
    stream.write(f"mined {full_name}: {overview['total_commits']} commits, +{overview['total_additions']} "
                 f"-{overview['total_deletions']} lines, {overview['total_contributors']} contributors "
                 f"in {time.monotonic() - started:.1f} s → {out}\n")
    return 0


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
