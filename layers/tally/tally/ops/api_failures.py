"""Glue between HTTP error handling and the failure ledger: an unexpected error is an `api` failure.

Handlers pass `record_api_failure` to `TallyResolver(on_unexpected=…)`: the platform calls it without
knowing the ledger, so `tally.platform` depends on no capability.
"""

from __future__ import annotations

from typing import Any

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure


def record_api_failure(error: BaseException, event: dict[str, Any]) -> None:
    context = event.get("requestContext") or {}
    claims = (context.get("authorizer") or {}).get("lambda") or {}
    record_failure(OpsKind.api, str(context.get("routeKey") or "unknown route"), error,
                   org_id=claims.get("org_id") or None)
