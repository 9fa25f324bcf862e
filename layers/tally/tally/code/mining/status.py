"""`status.json`: a run's state, phase, commits done / total, seconds per phase, start, end, error.

One builder for a cloud run and the CLI, so both write the same document.
"""

from __future__ import annotations

from typing import Any, Literal

State = Literal["queued", "running", "succeeded", "failed"]


def status_document(*, codebase_id: str, state: State, phase: str | None, commits_done: int, commits_total: int,
                    phase_seconds: dict[str, float], started_at: str | None, finished_at: str | None,
                    error: str | None = None, run_id: str | None = None) -> dict[str, Any]:
    return {"codebase_id": codebase_id, "run_id": run_id, "state": state, "phase": phase,
            "commits_done": commits_done, "commits_total": commits_total,
            "phase_seconds": {name: round(seconds, 3) for name, seconds in phase_seconds.items()},
            "started_at": started_at, "finished_at": finished_at, "error": error}
