"""Codebases: POST /api/v1/codebases, GET/DELETE /api/v1/codebases/{id}, PUT/DELETE …/admins/{user_id}
(org admins), POST …/mine (org admins and that codebase's admins)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tally.code import service
from tally.code.access import NO_CODEBASE
from tally.code.ids import ID_PATTERN, USER_ID_PATTERN
from tally.code.model import Codebase, CodebaseCreate, Grant, MineAccepted
from tally.code.settings import code_settings
from tally.code.wiring import code_store, export_store, mining_queue
from tally.ops.api_failures import record_api_failure
from tally.platform.api_docs import AUTH_ERRORS, BODY_ERRORS, errors
from tally.platform.caller import Caller
from tally.platform.http import TallyResolver
from tally.platform.observability import logger, metrics, tracer

app = TallyResolver(on_unexpected=record_api_failure)
CodebaseId = Annotated[str, Path(pattern=ID_PATTERN, description="The codebase's id.")]
UserId = Annotated[str, Path(pattern=USER_ID_PATTERN, description="The user's id (the token's `sub`).")]
PREFIX = "/api/v1/codebases"


def caller() -> Caller:
    return Caller.from_event(app.current_event.raw_event)


@app.post("/api/v1/codebases", summary="Register a codebase", tags=["code"], status_code=201,
          description="Only `https://` URLs of public hosts (every resolved address checked), without "
                      "credentials; the local cloud also takes a local repository path. A refused URL is a 422 "
                      "naming the rule.",
          responses={201: {"description": "The codebase.", "headers": {"Location": {
                         "description": "The codebase's path.", "schema": {"type": "string"}}}},
                     **errors(*AUTH_ERRORS, *BODY_ERRORS, 409, e409="The organisation has too many codebases.")})
@tracer.capture_method
def register(codebase: CodebaseCreate) -> Response[Codebase]:
    created = service.register(code_store(), caller(), codebase, allow_local=code_settings().local)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created,
                    headers={"Location": f"{PREFIX}/{created.codebase_id}"})


@app.get("/api/v1/codebases/<codebase_id>", summary="Read a codebase", tags=["code"],
         responses={200: {"description": "The codebase, its admins and its latest run."},
                    **errors(*AUTH_ERRORS, 404, 422, e404=NO_CODEBASE)})
@tracer.capture_method
def get_codebase(codebase_id: CodebaseId) -> Codebase:
    return service.get(code_store(), caller(), codebase_id)


@app.delete("/api/v1/codebases/<codebase_id>", summary="Remove a codebase", tags=["code"], status_code=204,
            description="Removes the codebase, its grants and its exports, and takes it out of the org files.",
            responses={204: {"description": "Removed."}, **errors(*AUTH_ERRORS, 404, 422, e404=NO_CODEBASE)})
@tracer.capture_method
def remove_codebase(codebase_id: CodebaseId) -> Response[None]:
    service.remove(code_store(), export_store(), caller(), codebase_id)
    return Response(status_code=204)


@app.put("/api/v1/codebases/<codebase_id>/admins/<user_id>", summary="Grant the codebase-admin role", tags=["code"],
         description="To a user of the organisation: the grant is kept under the organisation and counts only "
                     "for tokens of it.",
         responses={200: {"description": "The grant (granting again is harmless)."},
                    **errors(*AUTH_ERRORS, 404, 422, e404=NO_CODEBASE)})
@tracer.capture_method
def grant_admin(codebase_id: CodebaseId, user_id: UserId) -> Grant:
    return service.grant(code_store(), caller(), codebase_id, user_id)


@app.delete("/api/v1/codebases/<codebase_id>/admins/<user_id>", summary="Revoke the codebase-admin role", tags=["code"],
            status_code=204,
            responses={204: {"description": "Revoked."},
                       **errors(*AUTH_ERRORS, 404, 422, e404=f"{NO_CODEBASE} Or {service.NO_GRANT}")})
@tracer.capture_method
def revoke_admin(codebase_id: CodebaseId, user_id: UserId) -> Response[None]:
    service.revoke(code_store(), caller(), codebase_id, user_id)
    return Response(status_code=204)


@app.post("/api/v1/codebases/<codebase_id>/mine", summary="Mine a codebase", tags=["code"], status_code=202,
          description="Starts a bounded, resumable mining run; while one is going, answers with that run.",
          responses={202: {"description": "The run (`started` false: the run already going)."},
                     **errors(*AUTH_ERRORS, 404, 422, e404=NO_CODEBASE)})
@tracer.capture_method
def mine(codebase_id: CodebaseId) -> Response[MineAccepted]:
    accepted = service.start_mining(code_store(), export_store(), mining_queue(), caller(), codebase_id,
                                    lease_s=code_settings().lease_seconds)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
