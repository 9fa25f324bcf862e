"""The usage capability's stores, built once per container on first use."""

from __future__ import annotations

from functools import cache

from tally.platform.aws import dynamodb_fail_fast_client
from tally.usage.audit import AuditTrail, DynamoAuditStore
from tally.usage.reads import UsageReader
from tally.usage.recorder import UsageRecorder
from tally.usage.settings import usage_settings


@cache
def audit_trail() -> AuditTrail:
    """Audit writes sit in the request path: a client that gives up quickly, so a slow table costs a
    recorded failure rather than the read's time."""
    return AuditTrail(DynamoAuditStore(usage_settings().usage_table, client=dynamodb_fail_fast_client()))


def usage_reader() -> UsageReader:
    """A reader for one request (it counts the request's read units); the client is the container's."""
    return UsageReader(usage_settings().usage_table)


@cache
def usage_recorder() -> UsageRecorder:
    return UsageRecorder(usage_settings().usage_table)
