"""GET /api/v1/ops/failures — the authoritative count of failed operations in the last `since`."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.api_failures import record_api_failure
from tally.ops.kinds import OpsKind
from tally.ops.service import FailureCount, count_failures
from tally.ops.window import SINCE_PATTERN
from tally.ops.wiring import failure_ledger
from tally.platform.api_docs import AUTH_ERRORS, errors
from tally.platform.caller import Caller, Role
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.usage.audit import ResourceRef
from tally.usage.wiring import audit_trail

app = TallyResolver(on_unexpected=record_api_failure)


@app.get("/api/v1/ops/failures", summary="Count failed operations", tags=["ops"],
         responses={200: {"description": "The count, by kind."}, **errors(*AUTH_ERRORS, 422)})
@tracer.capture_method
def failure_count(
    since: Annotated[str, Query(pattern=SINCE_PATTERN, max_length=12,
                                description="Window ending now: `15m`, `1h`, `24h`, `7d` (at most 7d).")] = "1h",
    success: Annotated[bool, Query(description="Only `false` is accepted: failures are counted.")] = False,
    kind: Annotated[OpsKind | None, Query(description="Count only this kind of operation.")] = None,
) -> FailureCount:
    event = app.current_event.raw_event
    caller = Caller.from_event(event)
    with audit_trail().reading(event, caller, action="ops.failures",
                               resource=ResourceRef("org", caller.org_id)) as read:
        caller.require(Role.viewer)
        result = count_failures(caller.org_id, since, success, kind, ledger=failure_ledger(),
                                on_read=read.add_read_units)
    metrics.add_metric(name="FailureCountRead", unit="Count", value=1)
    return result


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
