"""Scheduled: after a site changes time zone, carry its hours and days into the new zone (bounded, resumable)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.kinds import OpsKind
from tally.ops.recorder import record_failure
from tally.platform.observability import logger, metrics, tracer
from tally.web.aggregate.rebucket_job_settings import rebucket_job_settings
from tally.web.aggregate.rebucket_wiring import rebucketer


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = rebucket_job_settings()
    try:
        report = rebucketer().run(deadline=lambda: context.get_remaining_time_in_millis() < settings.job_reserve_ms,
                                  page=settings.job_page_size)
    except Exception as error:
        record_failure(OpsKind.job, "rebucket", error, failure_id=f"rebucket#{event.get('id', '')}")
        raise
    metrics.add_metric(name="MarksCarried", unit="Count", value=report.carried)
    logger.info("re-bucketing run", extra={"report": report.__dict__})
    return report.__dict__
