"""The kinds of operation whose failures Tally counts."""

from __future__ import annotations

from enum import StrEnum


class OpsKind(StrEnum):
    """What failed.

    - ingest: an event or import line Tally accepted but could not store
    - aggregation: an event that kept failing rollup aggregation (sent to the dead-letter queue)
    - job: a scheduled job run (sealing, retention, deletion, summaries, retry) that failed
    - email: a report email that could not be sent
    - export: a code-analytics mining run or export write that failed
    - api: an API request that Tally could not answer (an unexpected server error)
    - cache: a cache or rate-limit store that failed while an answer was still given
    - usage: a usage or data-access (audit) record that could not be written; the request was answered
    """

    ingest = "ingest"
    aggregation = "aggregation"
    job = "job"
    email = "email"
    export = "export"
    api = "api"
    cache = "cache"
    usage = "usage"


#: The org under which platform-wide failures (no tenant involved) are recorded.
PLATFORM_ORG = "_platform"
