"""Configuration of the exports API and the export job, read from the environment on first use."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings


class ExportsSettings(BaseSettings):
    exports_table: str
    exports_bucket: str = ""
    exports_queue_url: str = ""
    #: how long a presigned download URL is valid
    export_url_ttl_s: int = 3600
    #: how long an export is kept (the bucket's lifecycle rule says the same)
    export_keep_days: int = 7
    #: the time an export job run keeps for itself after its last day
    job_reserve_ms: int = 20_000


@cache
def exports_settings() -> ExportsSettings:
    return ExportsSettings()  # filled from the environment
