"""Lambda's Invoke API for a running local cloud, on loopback: how `make invoke` reaches `make dev`.

    POST /2015-03-31/functions/{LogicalId}/invocations      body: the event (JSON)
    -> 200, the function's answer; `X-Amz-Function-Error: Unhandled` and the error document when it raised
    -> 404 for a function the template does not have

The same request and answer shape as AWS Lambda's Invoke (and `sam local start-lambda`), so
`aws lambda invoke --endpoint-url` works too. The function runs in the cloud's own workers: it sees
the cloud's tables and demo data, as a request through the HTTP API would.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tally_dev.localcloud.runner import Invocation

PATH = re.compile(r"^/2015-03-31/functions/([A-Za-z0-9_-]+)/invocations$")
INVOKE_PATH = "/2015-03-31/functions/{function}/invocations"

Invoke = Callable[[str, object], "Invocation"]


class InvokeApi:
    """A threaded HTTP server on `host`, any free port, answering with `invoke(logical_id, event)`."""

    def __init__(self, invoke: Invoke, host: str = "127.0.0.1") -> None:
        self._server = ThreadingHTTPServer((host, 0), _handler(invoke))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="tally-invoke-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> InvokeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


def _handler(invoke: Invoke) -> type[BaseHTTPRequestHandler]:
    from tally_dev.localcloud.runner import UnknownFunction

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            match = PATH.match(self.path.split("?", 1)[0])
            if match is None:
                self._answer(404, {"message": f"no such path: {self.path}"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                event = json.loads(self.rfile.read(length) or b"{}")
            except ValueError as error:
                self._answer(400, {"message": f"the event is not JSON: {error}"})
                return
            try:
                invocation = invoke(match.group(1), event)
            except UnknownFunction:
                self._answer(404, {"message": f"no function {match.group(1)} in the template"})
                return
            body = invocation.payload if invocation.ok else json.dumps(invocation.error)
            self._answer(200, body or "null", {} if invocation.ok else {"X-Amz-Function-Error": "Unhandled"})

        def _answer(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the function's own log lines go to the cloud's log."""

    return Handler
