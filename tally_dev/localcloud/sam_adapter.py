"""aws-sam-cli's template providers and API Gateway emulator, corrected to answer like an HTTP API.

The one module of Tally that imports samcli (pinned exactly in pyproject.toml: these are internal
APIs). samcli reads the template (functions, layers, routes, authorizers, CORS) and its
`LocalApigwService` does routing and response parsing; `HttpApiEmulator` replaces its Lambda
containers with our `FunctionRunner` and corrects where it differs from a real HTTP API:

- the v2 event (`events.http_api_event`): lower-case headers, a fresh `requestId` per request (also
  sent back as `apigw-requestid`), `timeEpoch` in milliseconds, `time` of the request, `ANY` route
  keys, no path parameters on `$default`, binary bodies base64-encoded;
- API Gateway's own answers: unknown route without `$default` → 404 `{"message":"Not Found"}` (not
  samcli's REST-style 403), CORS preflight → 204, authorizer deny → 403 `Forbidden`, missing
  identity source → 401 `Unauthorized`, a failing function or authorizer → 500
  `Internal Server Error`, a body over 10 MB → 413;
- CORS: preflight headers only on the preflight; on other responses `allow-origin` and the
  template's `ExposeHeaders` (which samcli does not read), replacing any CORS header a function set.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("SAM_CLI_TELEMETRY", "0")

from flask import Response, request
from samcli.lib.providers.api_provider import ApiProvider
from samcli.lib.providers.provider import Api
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider
from samcli.local.apigw.authorizers.lambda_authorizer import LambdaAuthorizer
from samcli.local.apigw.event_constructor import construct_v2_event_http
from samcli.local.apigw.exceptions import (
    AuthorizerUnauthorizedRequest,
    InvalidLambdaAuthorizerResponse,
    LambdaResponseParseException,
)
from samcli.local.apigw.local_apigw_service import LocalApigwService
from samcli.local.apigw.path_converter import PathConverter
from samcli.local.apigw.route import Route
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tally_dev.localcloud.access_logs import access_log_context
from tally_dev.localcloud.events import (
    MAX_REQUEST_BYTES,
    STAGE,
    RequestFacts,
    api_gateway_time,
    authorizer_request_event,
    cors_preflight_headers,
    cors_response_headers,
    epoch_millis,
    gateway_error,
    http_api_event,
    new_request_id,
    requested_moment,
    route_arn,
)
from tally_dev.localcloud.runner import FunctionRunner, UnknownFunction

LOG = logging.getLogger("tally.localcloud")
# samcli warns about authorizer fidelity on every load, and logs each route it mounts.
logging.getLogger("samcli").setLevel(logging.ERROR)

_REQUEST_ID = "tally.request_id"
_FACTS = "tally.facts"
_STARTED = "tally.started"
_EVENT = "tally.event"


@dataclass(frozen=True)
class TemplateFunction:
    """A function as samcli reads it: code, handler, layers (paths absolute), limits."""

    logical_id: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    timeout_s: int
    memory_mb: int


class SamTemplate:
    """The template parsed by samcli's providers (Globals applied, nested stacks followed)."""

    def __init__(self, template_path: Path) -> None:
        self.path = template_path.resolve()
        with warnings.catch_warnings():  # samcli's template validation uses deprecated jsonschema APIs
            warnings.simplefilter("ignore", DeprecationWarning)
            self.stacks, _ = SamLocalStackProvider.get_stacks(str(self.path))

    def functions(self) -> dict[str, TemplateFunction]:
        functions = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            provider = SamFunctionProvider(self.stacks, ignore_code_extraction_warnings=True)
        for function in provider.get_all():
            if not function.codeuri or not function.handler:
                continue
            layers = tuple(Path(self._absolute(layer.codeuri)) for layer in function.layers if layer.codeuri)
            functions[function.full_path] = TemplateFunction(
                logical_id=function.full_path,
                handler=function.handler,
                code_dir=Path(self._absolute(function.codeuri)),
                layer_dirs=layers,
                timeout_s=int(function.timeout or 3),
                memory_mb=int(function.memory or 128),
            )
        return functions

    def api(self) -> Api:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return ApiProvider(self.stacks, cwd=str(self.path.parent)).api

    def _absolute(self, path: str) -> str:
        return path if os.path.isabs(path) else str(self.path.parent / path)


class FunctionFailed(Exception):
    """The function (or the authorizer) raised, timed out or died: API Gateway answers 500."""

    def __init__(self, function: str, error: dict[str, Any]) -> None:
        super().__init__(f"{function}: {error.get('errorType')}: {error.get('errorMessage')}")
        self.error = error


class _QuietHandler(WSGIRequestHandler):
    """HTTP/1.1 with keep-alive; the emulator writes its own access log."""

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class HttpApiEmulator(LocalApigwService):
    """samcli's local API Gateway, answering as an HTTP API with payload 2.0 does."""

    def __init__(self, api: Api, runner: FunctionRunner, *, host: str, port: int,
                 expose_headers: Collection[str] = (), any_routes: Collection[tuple[str, str]] = (),
                 access_log: Callable[[str], None] | None = None,
                 access_records: Callable[[dict[str, str]], None] | None = None) -> None:
        super().__init__(api=api, lambda_runner=runner, port=port, host=host)  # type: ignore[arg-type]
        self.access_records = access_records  # the `$context` of every request, for the HTTP API's access log
        self.runner = runner
        self.expose_headers = tuple(expose_headers)
        self.any_routes = frozenset(any_routes)  # (function, path) of routes declared with Method ANY
        self.access_log = access_log

    # -- the Flask app ------------------------------------------------------------------------------

    def create(self) -> None:
        super().create()
        app = self._app
        app.before_request(self._before)
        app.after_request(self._after)
        for code in (404, 405, 413, 500):  # replace samcli's handlers for these codes (its 404 is a REST-style 403)
            app.register_error_handler(code, self._http_error)
        app.register_error_handler(HTTPException, self._http_error)
        app.register_error_handler(Exception, self._crash)

    def serve(self, sock: socket.socket) -> BaseWSGIServer:
        """A threaded server for the app on an already bound and listening socket."""
        host, port = sock.getsockname()[:2]
        server = make_server(host, port, self._app, threaded=True, request_handler=_QuietHandler,
                             fd=sock.fileno())
        self.port = server.port
        return server

    def _before(self) -> Response | None:
        request.environ[_STARTED] = time.perf_counter()
        if request.method == "OPTIONS" and self.api.cors is not None:
            # API Gateway answers every preflight itself when the API has a CORS configuration.
            return self._respond(204, None, cors_preflight_headers(self.api.cors, request.headers.get("Origin")))
        return None

    def _after(self, response: Response) -> Response:
        response.headers["apigw-requestid"] = _request_id()
        if self.api.cors is not None and request.method != "OPTIONS":
            for name in [n for n, _ in response.headers.items() if n.lower().startswith("access-control-")]:
                del response.headers[name]
            response.headers.update(cors_response_headers(self.api.cors, request.headers.get("Origin"),
                                                          self.expose_headers))
        elapsed_ms = (time.perf_counter() - request.environ.get(_STARTED, time.perf_counter())) * 1000
        if self.access_records is not None:
            event = request.environ.get(_EVENT) or {"requestContext": {
                "requestId": _request_id(), "timeEpoch": int(time.time() * 1000), "routeKey": "-",
                "http": {"method": request.method, "path": request.path}}}
            self.access_records(access_log_context(event, response.status_code, elapsed_ms))
        if self.access_log is not None:
            facts = request.environ.get(_FACTS)
            self.access_log(f'{request.remote_addr} "{request.method} {request.full_path.rstrip("?")}" '
                            f"{response.status_code} {facts.route_key if facts else '-'} "
                            f"{_request_id()} {elapsed_ms:.0f}ms")
        return response

    def _http_error(self, error: HTTPException) -> Response:
        if error.code in (404, 405):  # no route (or no route for this method) and no $default route
            return self._gateway(404)
        if error.code == 413:
            return self._gateway(413)
        return self._respond(error.code or 500, json.dumps({"message": error.name}))

    def _crash(self, error: Exception) -> Response:
        LOG.exception("the local API Gateway failed on %s %s", request.method, request.path)
        return self._gateway(500)

    # -- requests -----------------------------------------------------------------------------------

    def _request_handler(self, **kwargs: Any) -> Response:
        route: Route = self._get_current_route(request)
        if not self._emulates(route):
            return super()._request_handler(**kwargs)
        if (request.content_length or 0) > MAX_REQUEST_BYTES or len(request.get_data()) > MAX_REQUEST_BYTES:
            return self._gateway(413)
        event = self._generate_lambda_event(request, route, request.method, request.endpoint)
        request.environ[_EVENT] = event  # the authorizer adds its context to it: the access log reads both

        authorizer = route.authorizer_object
        if authorizer is not None:
            if not isinstance(authorizer, LambdaAuthorizer):
                LOG.error("only Lambda authorizers are emulated, not %s", type(authorizer).__name__)
                return self._gateway(500)
            if not self._valid_identity_sources(request, route):
                return self._gateway(401)
            try:
                auth_event = self._generate_lambda_authorizer_event(request, route, authorizer)
                auth_event = authorizer_request_event(event, route_arn=auth_event["routeArn"],
                                                      identity_source=auth_event.get("identitySource"))
                self._invoke_parse_lambda_authorizer(authorizer, auth_event, event, route)
            except AuthorizerUnauthorizedRequest:
                return self._gateway(403)
            except (FunctionFailed, InvalidLambdaAuthorizerResponse, UnknownFunction) as error:
                LOG.error("authorizer %s failed: %s", authorizer.lambda_name, error)
                return self._gateway(500)

        try:
            output = self._invoke_lambda_function(route.function_name, event)
            status, headers, body = self._parse_v2_payload_format_lambda_output(
                output, self.api.binary_media_types, request)
        except (FunctionFailed, UnknownFunction, LambdaResponseParseException) as error:
            LOG.error("%s failed: %s", route.function_name, error or type(error).__name__)
            return self._gateway(500)
        return self.service_response(body, headers, status)

    def _emulates(self, route: Route) -> bool:
        return route.event_type == Route.HTTP and route.payload_format_version in (None, "2.0")

    def _get_current_route(self, flask_request: Any) -> Route:
        try:
            return super()._get_current_route(flask_request)
        except KeyError:
            # e.g. HEAD on a GET route (Flask adds HEAD): API Gateway sends it to $default, if any.
            default = self._dict_of_routes.get(self._route_key(flask_request.method, "/<path:any_path>"))
            if default is None:
                raise NotFound() from None
            return default

    def _generate_lambda_event(self, flask_request: Any, route: Route, method: str, endpoint: str) -> dict[str, Any]:
        if not self._emulates(route):
            return super()._generate_lambda_event(flask_request, route, method, endpoint)
        facts = self._facts(route)
        sam_event = construct_v2_event_http(
            flask_request=flask_request,
            port=self.port,
            binary_types=["*/*"],  # raw bytes reach http_api_event, which decides text or base64
            stage_name=STAGE,
            stage_variables=self.api.stage_variables,
            route_key=facts.route_key,
            request_time_epoch=epoch_millis(facts.moment),
            request_time=api_gateway_time(facts.moment),
        )
        return http_api_event(sam_event, facts, raw_body=flask_request.get_data(),
                              headers=flask_request.headers.items())

    def _facts(self, route: Route) -> RequestFacts:
        facts: RequestFacts | None = request.environ.get(_FACTS)
        if facts is None:
            path = PathConverter.convert_path_to_api_gateway(request.endpoint)
            method = "ANY" if (route.function_name, path) in self.any_routes else request.method
            facts = RequestFacts.new(
                request_id=_request_id(),
                method=request.method,
                path=request.path,
                route_key="$default" if route.is_default_route else f"{method} {path}",
                source_ip=request.remote_addr or "127.0.0.1",
                protocol=request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                default_route=route.is_default_route,
                now=requested_moment(request.headers.items()),
            )
            request.environ[_FACTS] = facts
        return facts

    def _create_method_arn(self, flask_request: Any, event_type: str) -> str:
        return route_arn(flask_request.method, flask_request.path)

    def _invoke_lambda_function(self, lambda_function_name: str, event: dict[str, Any],
                                tenant_id: str | None = None) -> str:
        invocation = self.runner.invoke_event(lambda_function_name, event, request_id=None)
        if not invocation.ok or invocation.payload is None:
            raise FunctionFailed(lambda_function_name, invocation.error or {"errorType": "NoPayload"})
        return invocation.payload

    # -- answers ------------------------------------------------------------------------------------

    def _gateway(self, status: int) -> Response:
        return self._respond(status, json.dumps(gateway_error(status)))

    @staticmethod
    def _respond(status: int, body: str | None, headers: dict[str, str] | None = None) -> Response:
        response = Response(body or "", status=status, headers=headers or {})
        if body is not None:
            response.headers["Content-Type"] = "application/json"
        else:
            del response.headers["Content-Type"]
        return response


def _request_id() -> str:
    """This request's id, made on first use: the events, the log and `apigw-requestid` all agree."""
    request_id: str | None = request.environ.get(_REQUEST_ID)
    if request_id is None:
        request_id = request.environ[_REQUEST_ID] = new_request_id()
    return request_id
