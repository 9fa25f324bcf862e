"""A tiny website for browser tests: serves registered pages on a free loopback port, records requests.

GETs of registered paths answer their content; POSTs to a capture path (`/api/event` by default)
answer 202 `ok` with CORS open, like an event API, and are recorded with their headers and body;
OPTIONS preflights are recorded and answered too. Tests wait for what they expect with
`wait_for`, a condition wait with a bounded timeout: never a sleep.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Captured:
    """One request a browser sent to a capture path, as it arrived."""

    method: str
    path: str  # with its query string
    headers: dict[str, str]  # names lower-cased, in arrival order
    body: bytes

    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class _Resource:
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "content-type",
}


class SiteServer:
    """`with SiteServer() as site:` — serves on 127.0.0.1 (reachable as `localhost` too) until the block ends."""

    def __init__(self, capture_paths: tuple[str, ...] = ("/api/event",)) -> None:
        self.capture_paths = capture_paths
        self._resources: dict[str, _Resource] = {}
        self._captured: list[Captured] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="site-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def origin(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return self.origin(host) + path

    def add(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8",
            headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self._resources[path] = _Resource(data, content_type, headers or {})

    def captured(self, path: str | None = None) -> list[Captured]:
        with self._changed:
            return [c for c in self._captured if path is None or urlsplit(c.path).path == path]

    def wait_for(self, predicate: Callable[[Captured], bool] = lambda _: True, count: int = 1,
                 timeout: float = 10.0) -> list[Captured]:
        """Block until `count` captured requests satisfy `predicate`; return them in arrival order."""
        def matching() -> list[Captured]:
            return [c for c in self._captured if predicate(c)]

        with self._changed:
            if not self._changed.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                seen = [(c.method, c.path, c.body[:300]) for c in self._captured]
                raise AssertionError(f"waited {timeout}s for {count} matching request(s); captured: {seen}")
            return matching()

    def wait_for_events(self, count: int = 1, timeout: float = 10.0, **fields: Any) -> list[dict[str, Any]]:
        """Bodies of POSTed events whose JSON has every given field (`n="pageview"`, …), once `count` arrived."""
        def wanted(c: Captured) -> bool:
            if c.method != "POST":
                return False
            try:
                body = c.json()
            except ValueError:
                return False
            return isinstance(body, dict) and all(body.get(k) == v for k, v in fields.items())

        return [c.json() for c in self.wait_for(wanted, count, timeout)]

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, captured: Captured) -> None:
        with self._changed:
            self._captured.append(captured)
            self._changed.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures
                pass

            def _capture(self) -> Captured:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                captured = Captured(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                site._record(captured)
                return captured

            def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if body and self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                resource = site._resources.get(urlsplit(self.path).path)
                if resource is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                    return
                self._send(200, resource.body, {"Content-Type": resource.content_type, **resource.headers})

            def do_POST(self) -> None:
                self._capture()
                if urlsplit(self.path).path in site.capture_paths:
                    self._send(202, b"ok", {"Content-Type": "text/plain", **CORS_HEADERS})
                else:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})

            def do_OPTIONS(self) -> None:
                self._capture()
                self._send(204, b"", {**CORS_HEADERS, "Access-Control-Max-Age": "600"})

        return Handler
