"""Scheduled: seal due hours and days into rollups, within the invocation's time budget."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.observability import logger, metrics, tracer
from tally.web.aggregate.settings import aggregation_settings
from tally.web.aggregate.wiring import sealer


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = aggregation_settings()
    try:
        report = sealer().run(deadline=lambda: context.get_remaining_time_in_millis() < settings.job_reserve_ms,
                              page=settings.job_page_size)
    except Exception as error:
        record_failure(OpsKind.job, "seal-rollups", error, failure_id=f"sealer#{event.get('id', '')}")
        raise
    metrics.add_metric(name="HoursSealed", unit="Count", value=report.sealed)
    metrics.add_metric(name="DaysSealed", unit="Count", value=report.days)
    logger.info("sealing run", extra={"report": report.__dict__})
    return {"sealed": report.sealed, "unchanged": report.unchanged, "postponed": report.postponed,
            "stale": report.stale, "days": report.days, "remaining": report.remaining}
