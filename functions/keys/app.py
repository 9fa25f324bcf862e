"""API keys: POST/GET /api/v1/keys, DELETE /api/v1/keys/{key_id}. Org admins only."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.auth import keys
from tally.auth.keys import ApiKeyCreated, ApiKeyList, KeyCreate
from tally.auth.keys_wiring import api_key_store
from tally.ops.api_failures import record_api_failure
from tally.platform.api_docs import AUTH_ERRORS, BODY_ERRORS, errors
from tally.platform.caller import Caller, Role
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer

app = TallyResolver(on_unexpected=record_api_failure)
KeyId = Annotated[str, Path(max_length=64, description="The key's id (`key_id` of the listing).")]


def admin() -> Caller:
    return Caller.from_event(app.current_event.raw_event).require(Role.org_admin)


@app.post("/api/v1/keys", summary="Create an API key", tags=["keys"], status_code=201,
          description="The answer holds the key itself: it is shown this once and stored only as its hash. "
                      "Send it as `Authorization: Bearer tly_…`.",
          responses={201: {"description": "The new key, with the key itself."}, **errors(*AUTH_ERRORS, *BODY_ERRORS)})
@tracer.capture_method
def create_key(body: KeyCreate) -> Response[ApiKeyCreated]:
    created = keys.create_key(api_key_store(), admin(), body)
    metrics.add_metric(name="ApiKeyCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created,
                    headers={"Cache-Control": "no-store"})


@app.get("/api/v1/keys", summary="List API keys", tags=["keys"],
         responses={200: {"description": "The organisation's active keys (never the keys themselves)."},
                    **errors(*AUTH_ERRORS)})
@tracer.capture_method
def list_keys() -> ApiKeyList:
    return keys.list_keys(api_key_store(), admin())


@app.delete("/api/v1/keys/<key_id>", summary="Revoke an API key", tags=["keys"], status_code=204,
            description="The key is refused from then on: at once by a fresh lookup, and within the authorizer's "
                        "cache lifetime (`API_KEY_CACHE_S`, 60 s) by a container that accepted it just before.",
            responses={204: {"description": "Revoked: no body.", "content": {}},
                       **errors(*AUTH_ERRORS, 404, 422, e404="No such key in the caller's organisation.")})
@tracer.capture_method
def revoke_key(key_id: KeyId):  # no return annotation: a 204 has no body to document
    keys.revoke_key(api_key_store(), admin(), key_id)
    metrics.add_metric(name="ApiKeyRevoked", unit=MetricUnit.Count, value=1)
    return Response(status_code=204, body=None)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
