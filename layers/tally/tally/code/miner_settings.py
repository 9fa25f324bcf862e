"""Configuration of the miner function only (clone caps, time reserve, work directory)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class MinerSettings(BaseSettings):
    #: bytes a clone may receive before the run fails
    max_clone_bytes: int = 512 * 1024 * 1024
    #: seconds a clone may take before the run fails
    max_clone_seconds: int = 300
    #: seconds an invocation keeps for itself after its last step (to checkpoint and enqueue)
    reserve_seconds: int = 20
    #: where bare clones go (the function's ephemeral storage)
    work_dir: str = "/tmp/tally-mining"  # noqa: S108  # Lambda's only writable place


@cache
def miner_settings() -> MinerSettings:
    return MinerSettings()
