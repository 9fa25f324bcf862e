"""My usage: the caller's own sessions (and revoking one), usage units and data-access rows.

Any signed-in caller; every answer is read from the caller's own partitions (the user id comes from
the authorizer, never from a parameter).
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.ops.api_failures import record_api_failure
from tally.platform.api_docs import AUTH_ERRORS, errors
from tally.platform.caller import Caller
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer
from tally.usage import service
from tally.usage.me_wiring import revocations
from tally.usage.models import QueriesPage, SessionsPage, Usage
from tally.usage.reads import UsageReader
from tally.usage.wiring import usage_reader

app = TallyResolver(on_unexpected=record_api_failure)
LimitQ = Annotated[int, Query(ge=1, le=100, description="Rows per page.")]
CursorQ = Annotated[str | None, Query(max_length=400, description="`next_cursor` of the previous page.")]


def _caller() -> Caller:
    return Caller.from_event(app.current_event.raw_event)


def _read(reader: UsageReader, name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    logger.info("usage read", extra={"query": name, "read_units": reader.read_units})


@app.get("/api/v1/me/stats/sessions", summary="My sessions, newest first", tags=["me"],
         responses={200: {"description": "One page of the caller's sessions."}, **errors(*AUTH_ERRORS, 422)})
@tracer.capture_method
def sessions(limit: LimitQ = 50, cursor: CursorQ = None) -> SessionsPage:
    caller, reader = _caller(), usage_reader()
    page = service.list_sessions(reader, caller, limit=limit, cursor=cursor)
    _read(reader, "MeSessions")
    return page


@app.delete("/api/v1/me/sessions/<session_id>", summary="Revoke one of my token sessions", tags=["me"],
            status_code=204,
            description="Its token is refused (401) from then on, within the authorizer's stated cache time "
                        "(`REVOCATION_CACHE_S`, 10 s). API-key sessions end by revoking the key.",
            responses={204: {"description": "Revoked (repeating it is harmless): no body.", "content": {}},
                       **errors(*AUTH_ERRORS, 404, 409, 422, e404="No token session of the caller has this id.",
                                e409="The session making the request: sign out to end it.")})
@tracer.capture_method
def revoke(session_id: Annotated[str, Path(max_length=200, description="The session's id.")]):  # a 204: no body
    service.revoke_session(usage_reader(), revocations(), _caller(), session_id)
    metrics.add_metric(name="SessionRevoked", unit=MetricUnit.Count, value=1)
    return Response(status_code=204, body=None)


@app.get("/api/v1/me/stats/usage", summary="My usage units by day, endpoint, API key and session", tags=["me"],
         responses={200: {"description": "The window's figures and lifetime totals."}, **errors(*AUTH_ERRORS, 422)})
@tracer.capture_method
def usage(days: Annotated[int, Query(ge=1, le=365, description="Days ending today (UTC).")] = 30) -> Usage:
    caller, reader = _caller(), usage_reader()
    result = service.usage(reader, caller, days)
    _read(reader, "MeUsage")
    return result


@app.get("/api/v1/me/stats/queries", summary="My data access, newest first", tags=["me"],
         responses={200: {"description": "One page of the caller's data-access rows."},
                    **errors(*AUTH_ERRORS, 422)})
@tracer.capture_method
def queries(limit: LimitQ = 50, cursor: CursorQ = None,
            action: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z_.:]*$",
                                                description="Only actions starting with this, e.g. `stats.`.")]
            = None) -> QueriesPage:
    caller, reader = _caller(), usage_reader()
    page = service.list_queries(reader, caller, limit=limit, cursor=cursor, action=action)
    _read(reader, "MeQueries")
    return page


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
