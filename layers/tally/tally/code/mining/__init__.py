"""Mine a local git repository (pygit2) into the code-analytics exports, in bounded resumable steps.

`mine_step` works until `deadline` (a `time.monotonic()` value) and returns a JSON checkpoint that
resumes exactly; `mine_all` runs the same steps to the end (the CLI). Phases reported through
`Progress` and `StepOutcome.phase_seconds`: `scan`, `history`, `ownership`, `export` (see
`run.py`). Figures and their definitions: `exports.py`, `history.py`, `blame.py`, `identity.py`.
pygit2 is imported only inside this package (it ships in its own Lambda layer, layers/git/).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tally.code.mining.repository import RepositoryIncomplete, UnknownBranch, clone_bare
from tally.code.mining.run import PHASES, Limits, MineRequest, Progress, StepOutcome, deadline_rule, run_step
from tally.code.mining.status import status_document

__all__ = ["PHASES", "Limits", "MineRequest", "Progress", "RepositoryIncomplete", "StepOutcome", "UnknownBranch",
           "clone_bare", "mine_all", "mine_step", "status_document"]


def mine_step(request: MineRequest, *, checkpoint: dict[str, Any] | None, cache: dict[str, Any] | None,
              deadline: float, progress: Callable[[Progress], None] | None = None) -> StepOutcome:
    """One bounded step: whole units until the next would pass `deadline` (the first always runs and makes
    progress, even past `deadline`, so a run given too little time per step still finishes).

    Raises RepositoryIncomplete when an object is missing (the run fails; never zeros) and
    UnknownBranch when the requested default branch does not exist.
    """
    return run_step(request, checkpoint=checkpoint, cache=cache, stop=deadline_rule(deadline), deadline=deadline,
                    progress=progress)


def mine_all(request: MineRequest, *, cache: dict[str, Any] | None = None,
             progress: Callable[[Progress], None] | None = None, limits: Limits | None = None) -> StepOutcome:
    """Mine to the end in one call (the CLI): the same steps as a run, without a deadline."""
    outcome = run_step(request, checkpoint=None, cache=cache, stop=lambda _: False, deadline=math.inf,
                       progress=progress, limits=limits or Limits())
    while not outcome.finished:  # pragma: no cover - without a deadline the first step finishes
        outcome = run_step(request, checkpoint=outcome.checkpoint, cache=cache, stop=lambda _: False,
                           progress=progress, limits=limits or Limits())
    return outcome
