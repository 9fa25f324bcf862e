"""Web analytics stats of one site: overview, time series, breakdown, realtime. Viewers of its org."""

from contextlib import AbstractContextManager
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.api_failures import record_api_failure
from tally.platform.api_docs import AUTH_ERRORS, errors
from tally.platform.caller import Caller, Role
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.sites.model import Site
from tally.sites.service import get_counted_site
from tally.sites.wiring import site_store
from tally.usage.audit import AuditedRead, ResourceRef
from tally.usage.wiring import audit_trail
from tally.web.query import service
from tally.web.query.periods import DateRange, parse_range
from tally.web.query.reader import StatsSources
from tally.web.query.wiring import stats_sources

app = TallyResolver(on_unexpected=record_api_failure)
SiteId = Annotated[str, Path(max_length=64, description="The site's id.")]
PeriodQ = Annotated[str, Query(max_length=8, description="`day, 7d, 30d, month, 6mo, 12mo, custom`.")]
DateQ = Annotated[str | None, Query(max_length=10, description="Anchor day `YYYY-MM-DD` (default: today).")]
FromQ = Annotated[str | None, Query(alias="from", max_length=10, description="First day, with `custom`.")]
ToQ = Annotated[str | None, Query(max_length=10, description="Last day (inclusive), with `custom`.")]
TzQ = Annotated[str | None, Query(max_length=64, description="IANA time zone (default: the site's).")]
ERRORS = errors(*AUTH_ERRORS, 404, 422, 503, e404="No such site in the caller's organisation.",
                e503="The answer needs more unsealed hours than one query reads: try again after `Retry-After`.")


def _range(read: AuditedRead, site_id: str, period: str, date: str | None, date_from: str | None,
           to: str | None, tz: str | None) -> tuple[str, DateRange, StatsSources]:
    """The caller's site (another org's, or one being deleted, answers 404), its zone, the days asked for
    and the stores."""
    site = _site(read, site_id)
    sources = stats_sources(time_left_ms=app.lambda_context.get_remaining_time_in_millis())
    days = parse_range(period, tz or site.timezone, sources.now_ms(), on=date, from_=date_from, to=to)
    return site.timezone, days, sources


def _audited(action: str, site_id: str) -> AbstractContextManager[AuditedRead]:
    """Audit the read in the block (`tally.usage.audit`): once per request, ok or the error's code."""
    event = app.current_event.raw_event
    return audit_trail().reading(event, Caller.from_event(event), action=action,
                                 resource=ResourceRef("site", site_id))


def _site(read: AuditedRead, site_id: str) -> Site:
    caller = Caller.from_event(app.current_event.raw_event).require(Role.viewer)
    site = get_counted_site(site_store(), caller.org_id, site_id)
    read.resource = ResourceRef("site", site.site_id, site.domain)
    return site


def _record(read: AuditedRead, sources: StatsSources, name: str) -> None:
    read.read_units = sources.read_units
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    logger.info("stats read", extra={"query": name, "raw_events_read": sources.raw_events_read,
                                      "read_units": sources.read_units})


@app.get("/api/v1/sites/<site_id>/stats/overview",
         summary="Visitors, visits, pageviews, views per visit, bounce rate, visit duration", tags=["stats"],
         responses={200: {"description": "The metrics of the range."}, **ERRORS})
@tracer.capture_method
def overview(site_id: SiteId, period: PeriodQ = "30d", date: DateQ = None, date_from: FromQ = None,
             to: ToQ = None, tz: TzQ = None,
             compare: Annotated[str | None, Query(pattern="^previous_period$", max_length=20,
                                                  description="`previous_period` adds each metric's change.")]
             = None) -> service.Overview:
    with _audited("stats.overview", site_id) as read:
        site_tz, days, sources = _range(read, site_id, period, date, date_from, to, tz)
        result = service.overview(sources, site_id, site_tz, days, compare=compare is not None)
        _record(read, sources, "StatsOverview")
    return result


@app.get("/api/v1/sites/<site_id>/stats/timeseries", summary="The overview's metrics per interval", tags=["stats"],
         responses={200: {"description": "One point per interval of the range."}, **ERRORS})
@tracer.capture_method
def timeseries(site_id: SiteId, period: PeriodQ = "30d", date: DateQ = None, date_from: FromQ = None,
               to: ToQ = None, tz: TzQ = None,
               interval: Annotated[service.Interval, Query(description="Point width.")] = service.Interval.day,
               ) -> service.Timeseries:
    with _audited("stats.timeseries", site_id) as read:
        site_tz, days, sources = _range(read, site_id, period, date, date_from, to, tz)
        result = service.timeseries(sources, site_id, site_tz, days, interval)
        _record(read, sources, "StatsTimeseries")
    return result


@app.get("/api/v1/sites/<site_id>/stats/breakdown", summary="Metrics by a property's values, most visitors first",
         tags=["stats"], responses={200: {"description": "One page of rows."}, **ERRORS})
@tracer.capture_method
def breakdown(site_id: SiteId, period: PeriodQ = "30d", date: DateQ = None, date_from: FromQ = None,
              to: ToQ = None, tz: TzQ = None,
              property: Annotated[str, Query(max_length=200, description=(
                  "`page`, `source`, `event:props:<key>`, …; `goal`: the custom events (never `pageview` or "
                  "`engagement`) with unique conversions (`visitors`), total conversions (`events`) and "
                  "`conversion_rate` (unique converters / visitors of the period, percent). With "
                  "`filters=event:goal==<name>`: `event:props` lists the properties (keys) that goal's events "
                  "carried, `event:props:<key>` that key's values, each with the goal's unique conversions, total "
                  "conversions and conversion rate."))]
              = "page",
              filters: Annotated[str | None, Query(max_length=200, description=(
                  "Plausible v1's filter syntax; for now only `event:goal==<name>` (a custom event), with "
                  "`property=event:props` or `event:props:<key>`: that goal's own properties, as Plausible's "
                  "Properties panel shows them when a goal is clicked. Any other filter answers 422."))] = None,
              limit: Annotated[int, Query(ge=1, le=1000, description="Rows per page.")] = 100,
              cursor: Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page.")]
              = None) -> service.Breakdown:
    with _audited("stats.breakdown", site_id) as read:
        site_tz, days, sources = _range(read, site_id, period, date, date_from, to, tz)
        result = service.breakdown(sources, site_id, site_tz, days, property, limit=limit, cursor=cursor,
                                   filters=filters)
        _record(read, sources, "StatsBreakdown")
    return result


@app.get("/api/v1/sites/<site_id>/stats/realtime", summary="Visitors in the last 5 minutes and their pages",
         tags=["stats"], responses={200: {"description": "The last 5 minutes."}, **ERRORS})
@tracer.capture_method
def realtime(site_id: SiteId) -> service.Realtime:
    with _audited("stats.realtime", site_id) as read:
        _site(read, site_id)
        sources = stats_sources()
        result = service.realtime(sources, site_id)
        _record(read, sources, "StatsRealtime")
    return result


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
