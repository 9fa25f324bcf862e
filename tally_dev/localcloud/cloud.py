"""`LocalCloud`: the template's tables in moto, its functions in worker processes, its HTTP API on loopback.

    with LocalCloud(port=0) as cloud:          # port 0: any free port (`tally dev` uses 3000)
        httpx.get(f"{cloud.url}/api/v1/ops/failures")
        cloud.invoke("OpsFailuresFunction", event)
        cloud.delivery.settle()                # stream / queue pollers and schedules: see `delivery.py`
        cloud.clock.advance(61)                # the functions' caches see 61 s pass: see `clock.py`

Everything is read from `template.yaml` (through samcli's providers and `tally_dev.template`), so
the local cloud cannot drift from what `sam deploy` creates. `stop()` ends every process it started.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from tally_dev.localcloud.access_logs import format_line
from tally_dev.localcloud.clock import LocalClock
from tally_dev.localcloud.delivery import Delivery
from tally_dev.localcloud.event_sources import event_sources
from tally_dev.localcloud.faults import with_fault_shim
from tally_dev.localcloud.moto_host import MotoProcess
from tally_dev.localcloud.resources import Provisioned, provision
from tally_dev.localcloud.runner import (
    DEFAULT_MAX_WORKERS,
    FunctionConfig,
    FunctionPool,
    FunctionRunner,
    Invocation,
    RunnerStopped,
)
from tally_dev.template import (
    REGION,
    TEMPLATE_PATH,
    create_tables,
    function_environment,
    functions,
    http_routes,
    load_template,
    physical_names,
    resolve,
    resources_of_type,
)
from tally_dev.tokens import LOCAL_JWT_SECRET

if TYPE_CHECKING:
    from tally_dev.localcloud.sam_adapter import HttpApiEmulator, SamTemplate

STACK = "tally-local"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing"}


class PortInUse(RuntimeError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"Tally's local cloud already runs on {host}:{port} (or another program holds the port)")
        self.host = host
        self.port = port


class LocalCloud:
    def __init__(
        self,
        port: int = DEFAULT_PORT,
        host: str = DEFAULT_HOST,
        *,
        template_path: Path = TEMPLATE_PATH,
        http: bool = True,
        stack: str = STACK,
        log: TextIO | None = None,
        access_log: Callable[[str], None] | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
        warm: bool = False,
        event_sources: bool = True,
        schedules: bool = False,
        accelerate: float = 1.0,
        faults: bool = False,
        environment: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        """`log` receives the functions' and moto's output (default: this process's stderr).

        `warm` starts one worker per function in the background once the cloud runs, so the first
        requests find their functions warm (`tally dev`); otherwise workers start on demand.
        `event_sources` runs the stream and queue pollers, `schedules` fires the schedules (off by
        default: tests fire them on purpose); `accelerate` runs the local cloud's clocks (schedules,
        batching windows, retry backoffs) that many times faster; `faults` wraps every handler so
        that tests may inject crashes (`cloud.delivery.inject`). `access_log` also gets a line per
        delivery. `environment` overrides template variables per function (logical id -> name ->
        value), e.g. a test's smaller time budget.
        """
        self.host = host
        self.port = port
        self.template_path = Path(template_path).resolve()
        self.http = http
        self.stack = stack
        self.log = log
        self.access_log = access_log
        self.max_workers = max_workers
        self.warm = warm
        self.event_sources = event_sources
        self.schedules = schedules
        self.accelerate = accelerate
        self.faults = faults
        self.environment = {lid: dict(values) for lid, values in (environment or {}).items()}
        self.tables: dict[str, str] = {}
        self.provisioned = Provisioned()
        self.delivery: Delivery | None = None
        self._faults_dir: Path | None = None
        self._clock_dir: Path | None = None
        self._clock: LocalClock | None = None
        self.runner: FunctionRunner | None = None
        self._moto: MotoProcess | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._dynamodb: Any = None
        self._clients_session: Any = None
        self._clients_lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> LocalCloud:
        sock = self._bind() if self.http else None  # first: a taken port fails before anything starts
        try:
            self._moto = MotoProcess(self.host, self.log)
            self._moto.launch()  # moto imports in its process while samcli reads the template in ours
            from tally_dev.localcloud.sam_adapter import SamTemplate

            sam = SamTemplate(self.template_path)
            template = load_template(self.template_path)
            self._moto.wait_ready()
            self.tables = create_tables(self.dynamodb, template, self.stack)
            self.provisioned = provision(self.client, template, self.stack, self.tables)
            self._clock_dir = Path(tempfile.mkdtemp(prefix="tally-local-clock-"))
            self._clock = LocalClock(self._clock_dir / "offset")
            configs = self._function_configs(sam, template)
            if self.faults:
                self._faults_dir = Path(tempfile.mkdtemp(prefix="tally-local-faults-"))
                configs = {lid: with_fault_shim(config, self._faults_dir) for lid, config in configs.items()}
            self.runner = FunctionRunner(configs, max_workers=self.max_workers, log=self.log)
            self.delivery = self._delivery(template)
            if sock is not None:
                self._serve(sam, template, sock)
            self.delivery.start()
            if self.warm:
                self.warm_up()
        except BaseException:
            self.stop()
            raise
        finally:
            if sock is not None:
                sock.close()  # the server holds its own duplicate
        return self

    def stop(self) -> None:
        """Stop the pollers and schedules, every worker, the HTTP server and moto. Safe to call twice.

        The workers go first: a request or delivery waiting for a busy worker then ends at once
        instead of holding up the HTTP server's shutdown.
        """
        delivery = self.delivery
        if delivery is not None:
            delivery.stop()  # no new delivery; one in flight ends as the runner stops its worker
        runner, self.runner = self.runner, None
        if runner is not None:
            runner.stop()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if delivery is not None:
            delivery.join()
        moto, self._moto = self._moto, None
        if moto is not None:
            moto.stop()
        self._dynamodb = None
        self._clients_session = None
        for directory in (self._faults_dir, self._clock_dir):
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
        self._faults_dir = self._clock_dir = None
        self._clock = None

    def kill(self) -> None:
        """SIGKILL every process of the local cloud now, without waiting: when `stop()` itself is stuck."""
        runner, moto = self.runner, self._moto
        if runner is not None:
            runner.kill()
        if moto is not None:
            moto.kill()

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- what callers use ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def clock(self) -> LocalClock:
        """The offset of the functions' cache clocks (`advance` it to let a cache lifetime pass at once)."""
        if self._clock is None:
            raise RuntimeError("the local cloud is not running")
        return self._clock

    @property
    def endpoint(self) -> str:
        """moto's endpoint (what the functions get as AWS_ENDPOINT_URL)."""
        if self._moto is None:
            raise RuntimeError("the local cloud is not running")
        return self._moto.endpoint

    @property
    def dynamodb(self) -> Any:
        """A DynamoDB client on the local cloud's moto."""
        if self._dynamodb is None:
            self._dynamodb = self._session().client("dynamodb", endpoint_url=self.endpoint)
        return self._dynamodb

    @property
    def queues(self) -> dict[str, str]:
        """The template's queues (logical id -> URL on moto)."""
        return {lid: queue.url for lid, queue in self.provisioned.queues.items()}

    def client(self, service: str, *, config: Any = None) -> Any:
        """A boto3 client for `service` on the local cloud's moto (one session: service models load once);
        `config`: a botocore Config."""
        with self._clients_lock:
            if self._clients_session is None:
                self._clients_session = self._session()
            return self._clients_session.client(service, endpoint_url=self.endpoint, config=config)

    def _session(self) -> Any:
        import boto3

        return boto3.session.Session(region_name=REGION, **{k.lower(): v for k, v in FAKE_CREDENTIALS.items()})

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        """Invoke one function directly (no API Gateway), as `sam local invoke` does."""
        if self.runner is None:
            raise RuntimeError("the local cloud is not running")
        return self.runner.invoke_event(logical_id, event)

    def child_pids(self) -> list[int]:
        pids = list(self.runner.child_pids()) if self.runner is not None else []
        if self._moto is not None and self._moto.pid is not None:
            pids.append(self._moto.pid)
        return pids

    # -- wiring -------------------------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
            sock.listen(128)
        except OSError as error:
            sock.close()
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(self.host, self.port) from error
            raise
        self.port = sock.getsockname()[1]
        return sock

    def _serve(self, sam: SamTemplate, template: dict[str, Any], sock: socket.socket) -> None:
        assert self.runner is not None
        emulator = http_api_emulator(sam, template, self.runner, host=self.host, port=self.port,
                                     access_log=self.access_log, access_records=self._access_log_writer(template))
        self._server = emulator.serve(sock)
        self._thread = threading.Thread(target=self._server.serve_forever, name="tally-local-api", daemon=True)
        self._thread.start()

    def _access_log_writer(self, template: dict[str, Any]) -> Callable[[dict[str, str]], None] | None:
        """Writes each request's line in the template's access-log format to its log group, when a
        function subscribes to that group (nothing else reads it locally)."""
        for api in resources_of_type(template, "AWS::Serverless::HttpApi").values():
            settings = api.get("Properties", {}).get("AccessLogSettings") or {}
            destination = settings.get("DestinationArn")
            target = destination.get("Fn::GetAtt") if isinstance(destination, dict) else None
            logical_id = (target[0] if isinstance(target, list) else str(target).split(".")[0]) if target else None
            group = self.delivery.log_groups.get(logical_id or "") if self.delivery is not None else None
            if group is not None and settings.get("Format"):
                log_format = str(settings["Format"])
                return lambda values: group.append(format_line(log_format, values))
        return None

    def _function_configs(self, sam: SamTemplate, template: dict[str, Any]) -> dict[str, FunctionConfig]:
        names = {**physical_names(template, self.stack), **self.provisioned.names()}
        attributes = self.provisioned.attributes()
        specs = functions(template)
        configs = {}
        for lid, function in sam.functions().items():
            spec = specs.get(lid)
            if spec is None:
                continue
            overrides = {
                "AWS_ENDPOINT_URL": self.endpoint,
                **FAKE_CREDENTIALS,
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "TALLY_STAGE": "local",
                "LOCAL_JWT_SECRET": LOCAL_JWT_SECRET,
                "POWERTOOLS_TRACE_DISABLED": "1",
                "PYTHONPATH": os.pathsep.join(str(p) for p in (function.code_dir, *function.layer_dirs)),
            }
            if "JWKS_URL" in spec.environment:
                overrides["JWKS_URL"] = ""  # no issuer to fetch keys from: RS256 is refused locally
            if "LOCAL_CLOCK_FILE" in spec.environment and self._clock is not None:
                overrides["LOCAL_CLOCK_FILE"] = str(self._clock.path)
            name = f"{self.stack}-{lid}"
            runtime = {
                "AWS_LAMBDA_FUNCTION_NAME": name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": "local",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info.major}.{sys.version_info.minor}",
                "LAMBDA_TASK_ROOT": str(function.code_dir),
                "_HANDLER": function.handler,
                "TZ": "UTC",
                "LANG": "en_US.UTF-8",
                "PATH": "/usr/local/bin:/usr/bin:/bin",
            }
            configs[lid] = FunctionConfig(
                logical_id=lid,
                handler=function.handler,
                code_dir=function.code_dir,
                environment={**runtime, **function_environment(spec, template, names, overrides, attributes),
                             **self.environment.get(lid, {})},
                timeout_s=float(function.timeout_s),
                memory_mb=function.memory_mb,
            )
        return configs

    def _delivery(self, template: dict[str, Any]) -> Delivery:
        assert self.runner is not None
        names = {**physical_names(template, self.stack), **self.provisioned.names()}
        attributes = self.provisioned.attributes()
        return Delivery(runner=self.runner, sources=event_sources(functions(template), template),
                        provisioned=self.provisioned, client=self.client, stack=self.stack,
                        resolve_input=lambda value: resolve(value, template, names, attributes=attributes),
                        accelerate=self.accelerate, event_sources=self.event_sources, schedules=self.schedules,
                        faults_dir=self._faults_dir, max_concurrency=self.max_workers, log=self.access_log)

    def warm_up(self) -> None:
        """Start one worker per function in the background, so the first requests find them warm."""
        threading.Thread(target=self._warm_up, name="tally-local-warm-up", daemon=True).start()

    def start_schedules(self) -> None:
        """Start firing the template's schedules now (a cloud started with `schedules=False`)."""
        if self.delivery is None:
            raise RuntimeError("the local cloud is not running")
        self.delivery.start_schedules()

    def _warm_up(self) -> None:
        runner = self.runner
        if runner is None:
            return
        with ThreadPoolExecutor(max_workers=max(1, len(runner.pools))) as pool:
            list(pool.map(_warm, runner.pools.values()))


def _warm(pool: FunctionPool) -> None:
    with contextlib.suppress(RunnerStopped, OSError):
        pool.warm()


def http_api_emulator(sam: SamTemplate, template: dict[str, Any], runner: FunctionRunner, *, host: str, port: int,
                      access_log: Callable[[str], None] | None = None,
                      access_records: Callable[[dict[str, str]], None] | None = None) -> HttpApiEmulator:
    """The template's HTTP API, its requests answered by `runner`'s functions (the app is created, not served)."""
    from tally_dev.localcloud.sam_adapter import HttpApiEmulator

    any_routes = {(r.function, r.path) for r in http_routes(template) if r.method == "ANY"}
    emulator = HttpApiEmulator(sam.api(), runner, host=host, port=port, expose_headers=_expose_headers(template),
                               any_routes=any_routes, access_log=access_log, access_records=access_records)
    emulator.create()
    return emulator


def _expose_headers(template: dict[str, Any]) -> list[str]:
    """The `ExposeHeaders` of the template's HTTP APIs (samcli does not read them)."""
    configs = [api.get("Properties", {}).get("CorsConfiguration") for api in
               resources_of_type(template, "AWS::Serverless::HttpApi").values()]
    configs.append(template.get("Globals", {}).get("HttpApi", {}).get("CorsConfiguration"))
    exposed: list[str] = []
    for config in configs:
        if isinstance(config, dict):
            exposed += [h for h in config.get("ExposeHeaders", []) if h not in exposed]
    return exposed
