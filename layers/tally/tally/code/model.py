"""The code-analytics API's bodies: a codebase, its registration, a grant, a run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tally.code.ids import ID_PATTERN

BRANCH_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$"


class RunState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class CodebaseCreate(BaseModel):
    """A repository to mine: an https URL of a public host (a local path in the local cloud)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="`https://host/owner/repo` (no credentials); "
                                                                 "in the local cloud also an absolute local path.")
    name: str | None = Field(default=None, min_length=1, max_length=100, description="Shown in lists; "
                                                                                       "default: from the URL.")
    default_branch: str | None = Field(default=None, pattern=BRANCH_PATTERN,
                                       description="Mined branch; default: the repository's HEAD.")

    @field_validator("default_branch")
    @classmethod
    def _a_branch_name(cls, value: str | None) -> str | None:
        if value is not None and (".." in value or "//" in value or value.endswith(("/", ".lock", "."))):
            raise ValueError("not a valid branch name")
        return value


class Run(BaseModel):
    """A codebase's latest mining run."""

    run_id: str = Field(pattern=ID_PATTERN)
    state: RunState
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None


class Codebase(BaseModel):
    codebase_id: str = Field(pattern=ID_PATTERN)
    org_id: str
    name: str
    url: str
    default_branch: str | None = None
    created_at: datetime
    admins: list[str] = Field(description="User ids holding the codebase-admin role.")
    run: Run | None = Field(default=None, description="The latest mining run, if any.")
    mined_at: datetime | None = Field(default=None, description="When the last successful run finished.")


class Grant(BaseModel):
    codebase_id: str
    user_id: str
    role: str = "admin"
    granted_at: datetime


class MineAccepted(BaseModel):
    run_id: str = Field(pattern=ID_PATTERN)
    state: RunState
    started: bool = Field(description="False when a run already going was returned instead of a new one.")
