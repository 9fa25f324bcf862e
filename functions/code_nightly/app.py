"""Nightly: re-mine every codebase (a run already going is left alone) and rebuild the org files."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.code.nightly import remine_everything
from tally.code.settings import code_settings
from tally.code.wiring import code_store, export_store, mining_queue
from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = code_settings()
    try:
        done = remine_everything(code_store(), export_store(), mining_queue(), salt=settings.identity_salt,
                                 lease_s=settings.lease_seconds,
                                 seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)
    except Exception as error:
        record_failure(OpsKind.job, "code.nightly", error, failure_id=f"code-nightly#{event.get('id', '')}")
        raise
    metrics.add_metric(name="CodebasesRequeued", unit="Count", value=done["started"])
    return done
