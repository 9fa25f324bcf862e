"""Scheduled: delete the data of sites marked `deleting`, then the sites themselves, within a time budget."""

import os
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.platform.observability import logger, metrics, tracer
from tally.sites.deletion import DeletionRun, LambdaBudget
from tally.sites.deletion_settings import site_deletion_settings
from tally.sites.locations import SITES_LOCATIONS
from tally.sites.queue import DynamoDeletionQueue
from tally.web.locations import WEB_LOCATIONS

#: Every capability's site data, in the order the job empties it: the sites capability's own last.
SITE_DATA_LOCATIONS = (*WEB_LOCATIONS, *SITES_LOCATIONS)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tick = parse(event=event, model=EventBridgeModel)
    settings = site_deletion_settings()
    report = DeletionRun(
        queue=DynamoDeletionQueue(settings.sites_table),
        budget=LambdaBudget(context.get_remaining_time_in_millis, settings.site_deletion_margin_s * 1000),
        page_size=settings.site_deletion_page_size,
        grace=timedelta(seconds=settings.site_deletion_grace_s),
        scheduled_at=tick.time,  # the same for every retry of this tick
        now=datetime.now(UTC),
        environ=os.environ,
        locations=SITE_DATA_LOCATIONS,
    ).run()
    metrics.add_metric(name="SitesDeleted", unit=MetricUnit.Count, value=report.sites_deleted)
    metrics.add_metric(name="SiteItemsDeleted", unit=MetricUnit.Count, value=report.items_deleted)
    logger.info("site deletion run finished", extra=asdict(report))
    return asdict(report)
