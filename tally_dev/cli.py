"""`tally`: the developer's command line (the console script of the project).

    tally dev [--port 3000] [--no-schedules] [--accelerate N] [--verbose]
                                                  the local cloud with demo data, until Ctrl-C
    tally token --org ORG --role ROLE [--user U]  a bearer token for the local cloud
    tally invoke LOGICAL_ID EVENT_FILE [--own-cloud]
                                                  one function, one event (`make invoke`): in the running
                                                  `tally dev` of this checkout, else in a cloud of its own
    tally openapi [--write | --check]             generate / check the committed OpenAPI document
    tally mine PATH_OR_URL --out DIR [--branch B] the code-analytics JSON files of a repository
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tally.platform.caller import Role
from tally_dev.localcloud.cloud import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from tally_dev.console import Progress
    from tally_dev.demo import DemoData
    from tally_dev.localcloud import LocalCloud

ROLES = tuple(role.value for role in Role)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tally", description="Tally's developer tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run the local cloud with demo data until Ctrl-C")
    dev.add_argument("--port", type=int, default=DEFAULT_PORT,
                     help=f"the HTTP API's port (default {DEFAULT_PORT}; `make dev PORT=3200`)")
    dev.add_argument("--host", default=DEFAULT_HOST)
    dev.add_argument("--verbose", action="store_true",
                     help="show every function's log lines in the terminal instead of the log file")
    dev.add_argument("--schedules", action=argparse.BooleanOptionalAction, default=True,
                     help="fire the template's schedules (default: on)")
    dev.add_argument("--demo-days", type=int, default=30, metavar="N",
                     help="days of demo traffic to import (default 30; 0: none)")
    dev.add_argument("--accelerate", type=_positive, default=1.0, metavar="N",
                     help="run schedules, batching windows and retry backoffs N times faster "
                          "(60: a 1-minute schedule every second)")
    dev.set_defaults(run=_dev)

    token = commands.add_parser("token", help="print a bearer token (HS256 JWT) for the local cloud")
    token.add_argument("--org", required=True)
    token.add_argument("--role", required=True, choices=ROLES)
    token.add_argument("--user", help="the token's subject (default: <org>-<role>)")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default 3600)")
    token.set_defaults(run=_token)

    invoke = commands.add_parser("invoke", help="invoke one function of the template with an event file")
    invoke.add_argument("logical_id", metavar="LOGICAL_ID")
    invoke.add_argument("event_file", metavar="EVENT_FILE", type=Path)
    invoke.add_argument("--own-cloud", action="store_true",
                        help="start a local cloud of its own (with the demo data) even when `make dev` runs")
    invoke.add_argument("--no-demo", action="store_true", help="a cloud of its own with empty tables")
    invoke.set_defaults(run=_invoke)

    openapi = commands.add_parser("openapi", help="generate or check the committed OpenAPI document")
    mode = openapi.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write the document")
    mode.add_argument("--check", action="store_true", help="fail when the document is out of date (default)")
    openapi.set_defaults(run=_openapi)

    mine = commands.add_parser("mine", help="mine a git repository (path or URL) into the code-analytics JSON files")
    mine.add_argument("source", metavar="PATH_OR_URL")
    mine.add_argument("--out", required=True, type=Path, metavar="DIR", help="where to write the JSON files")
    mine.add_argument("--branch", help="the default branch (default: the repository's HEAD)")
    mine.add_argument("--name", help="the full name shown in the overview (default: owner/name from the source)")
    mine.add_argument("--cache", type=Path, metavar="FILE",
                      help="an incremental cache: read when it exists, written after (re-mines only new commits)")
    mine.set_defaults(run=_mine)

    args = parser.parse_args(argv)
    return int(args.run(args))


def _dev(args: argparse.Namespace) -> int:
    from tally_dev.console import Progress, log_path
    from tally_dev.localcloud import LocalCloud, PortInUse
    from tally_dev.localcloud.session import run_until_signalled

    progress = Progress()
    log: TextIO | None = None if args.verbose else log_path(args.port).open("w", buffering=1)
    stopping = threading.Event()
    running = contextlib.ExitStack()  # the Invoke API and the state file `make invoke` finds it by

    def access_log(line: str) -> None:
        print(line, file=log or sys.stderr, flush=True)

    def work(cloud: LocalCloud) -> None:
        from tally_dev.demo import load_demo_data
        from tally_dev.demo_background import DemoContext, start_after_ready

        demo = load_demo_data(cloud)
        _open_to_make_invoke(cloud, running)
        if args.demo_days > 0:
            _load_demo_history(cloud, demo, args.demo_days, progress)
        if args.schedules:
            cloud.start_schedules()
        cloud.warm_up()
        progress.done()
        _announce(cloud, demo, log)
        if demo.objects is not None:
            from tally_dev.demo_objects import queue_demo_export

            queue_demo_export(cloud, demo.objects)  # now that the month is in: the export has it
        # ready: the demo's extras (tally_dev/demo_background.py) run from here on, in the background
        start_after_ready(DemoContext(cloud, demo, say=access_log, stopping=stopping))

    def stop() -> None:
        stopping.set()
        progress.say("Stopping the local cloud ...")

    cloud = LocalCloud(port=args.port, host=args.host, log=log, schedules=False, accelerate=args.accelerate,
                       access_log=access_log)
    starting = f"Starting Tally's local cloud on {args.host}:{args.port} ..."
    try:
        run_until_signalled(cloud, work, starting=lambda: progress.step(starting),
                            stopping=stop)
    except PortInUse as error:
        progress.say(str(error))
        return 1
    finally:
        running.close()
        if log is not None:
            log.close()
    return 0


def _open_to_make_invoke(cloud: LocalCloud, running: contextlib.ExitStack) -> None:
    """Serve Lambda's Invoke API on loopback and write the state file `make invoke` looks for."""
    from tally_dev.dev_state import DevState, announced
    from tally_dev.localcloud.invoke_api import InvokeApi
    from tally_dev.template import ROOT

    api = InvokeApi(cloud.invoke).start()  # loopback only, whatever --host says: it runs any function
    running.callback(api.stop)
    running.enter_context(announced(DevState(pid=os.getpid(), root=str(ROOT), url=cloud.url,
                                             endpoint=cloud.endpoint, invoke_url=api.url), cloud.port))


def _load_demo_history(cloud: LocalCloud, demo: DemoData, days: int, progress: Progress) -> None:
    """Import the demo month through the import API, then seal it in bulk before the schedules start."""
    from tally_dev.demo_seal import seal_demo
    from tally_dev.demo_traffic import load_demo_traffic

    progress.step(f"Importing {days} days of demo traffic through the import API ...")
    admins = {org: demo.token(org, "org_admin") for org in ("demo", "rival")}
    imported = load_demo_traffic(cloud.url, admins, days=days, sites_exist=demo.objects is not None)
    total = sum(imported.values())
    progress.step(f"Imported {total} events; waiting for the aggregator to mark their hours ...")
    assert cloud.delivery is not None
    cloud.delivery.settle(bound_s=600)
    sealed = seal_demo(cloud, progress=lambda text: progress.step(f"Imported {total} events; {text}"))
    progress.step(f"Imported {total} events; sealed {sealed.hours} hours and {sealed.days} days.")


def _announce(cloud: LocalCloud, demo: DemoData, log: TextIO | None) -> None:
    viewer = demo.token("demo", "viewer")
    print("\n".join([
        "",
        f"Tally's local cloud is running: {cloud.url}",
        f"  Logs:      {log.name if log is not None else 'this terminal (--verbose)'}",
        f"  Dashboard: {dashboard_url(cloud.url, viewer)}",
        "             (the demo site's last 30 days, signed in as the demo org's viewer)",
        f"  Sites:     {cloud.url}/sites#token={demo.token('demo', 'org_admin')}",
        "             (add a website and get its snippet, signed in as the demo org's admin)",
        f"  API:       {cloud.url}/api/v1/ops/failures?since=24h",
        f"  DynamoDB:  {cloud.endpoint} (tables: {', '.join(sorted(cloud.tables.values()))})",
        "  Invoke:    make invoke FN=StatsFunction EVENT=events/stats.json  (runs in this cloud, on its demo data)",
        "",
        "Try it:",
        f"  curl -s -H 'Authorization: Bearer {viewer}' '{cloud.url}/api/v1/ops/failures?since=24h'",
        "",
        "Demo credentials (tokens are valid for 12 hours; more with `tally token --org ORG --role ROLE`):",
        *demo.lines(),
        "",
        "Press Ctrl-C to stop.",
    ]), flush=True)


def dashboard_url(api_url: str, token: str) -> str:
    """The dashboard, signed in: the token rides in the fragment, which browsers never send to a server."""
    return f"{api_url}/#token={token}"


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _token(args: argparse.Namespace) -> int:
    from tally_dev.tokens import issue_token

    print(issue_token(args.org, args.role, user=args.user, ttl_s=args.ttl))
    return 0


def _invoke(args: argparse.Namespace) -> int:
    from tally_dev.dev_state import running
    from tally_dev.template import functions

    known = sorted(functions())
    if args.logical_id not in known:
        print(f"no function {args.logical_id!r} in the template (functions: {', '.join(known)})", file=sys.stderr)
        return 2
    try:
        event = json.loads(args.event_file.read_text())
    except (OSError, ValueError) as error:
        print(f"cannot read the event {args.event_file}: {error}", file=sys.stderr)
        return 2
    dev = None if args.own_cloud or args.no_demo else next(iter(running()), None)
    answer: tuple[object, bool] | None = None
    if dev is not None:
        print(f"tally invoke: {args.logical_id} runs in the running `make dev` at {dev.url} (pid {dev.pid}), "
              f"on its tables and demo data", file=sys.stderr)
        answer = _invoke_running(dev.invoke_url, args.logical_id, event)
        if answer is None:
            print(f"tally invoke: `make dev` (pid {dev.pid}) does not answer; starting a cloud of its own instead",
                  file=sys.stderr)
    if answer is None:
        why = "--own-cloud" if args.own_cloud or args.no_demo else "no `make dev` runs from this checkout"
        print(f"tally invoke: {args.logical_id} runs in a local cloud of its own ({why}): started now with "
              f"{'empty tables' if args.no_demo else 'the demo data (fixed ids: README, Demo ids)'}, "
              "stopped afterwards", file=sys.stderr)
        answer = _invoke_own_cloud(args.logical_id, event, demo=not args.no_demo)
    result, ok = answer
    print(json.dumps(result, indent=2))
    failure = verdict(result, ok)
    if failure is not None:
        print(f"tally invoke: {args.logical_id} {failure}", file=sys.stderr)
        return 1
    return 0


def _invoke_running(invoke_url: str, logical_id: str, event: object) -> tuple[object, bool] | None:
    """(answer, ok) from a running `tally dev`'s Invoke API; None when it cannot be reached."""
    import httpx

    from tally_dev.localcloud.invoke_api import INVOKE_PATH

    try:
        # no read timeout: the function's own timeout (up to 15 minutes) bounds the invocation
        response = httpx.post(invoke_url + INVOKE_PATH.format(function=logical_id), json=event,
                              timeout=httpx.Timeout(None, connect=5))
    except httpx.TransportError:
        return None
    response.raise_for_status()
    return response.json(), "X-Amz-Function-Error" not in response.headers


def _invoke_own_cloud(logical_id: str, event: object, *, demo: bool) -> tuple[object, bool]:
    from tally_dev.demo import load_demo_data
    from tally_dev.localcloud import LocalCloud

    with LocalCloud(http=False) as cloud:
        if demo:
            load_demo_data(cloud)
        invocation = cloud.invoke(logical_id, event)
    return invocation.result(), invocation.ok


def verdict(result: object, ok: bool) -> str | None:
    """Why an invocation's answer is a failure (`make invoke` exits 1), or None for a success: an error
    raised, an HTTP status outside 2xx, failed records of a batch, a caller the authorizer refused."""
    if not ok:
        return "raised an error"
    if not isinstance(result, dict):
        return None
    status = result.get("statusCode")
    if isinstance(status, int) and not 200 <= status < 300:
        return f"answered {status}"
    failures = result.get("batchItemFailures")
    if failures:
        return f"reported {len(failures)} failed record(s) of the batch"
    if result.get("isAuthorized") is False:
        return "refused the request (isAuthorized: false)"
    context = result.get("context")
    if isinstance(context, dict) and context.get("authenticated") is False:
        return f"did not authenticate the caller: {context.get('auth_message', '')}"
    return None


def _mine(args: argparse.Namespace) -> int:
    from tally_dev.mine import mine

    return mine(args.source, args.out, branch=args.branch, name=args.name, cache_file=args.cache)


def _openapi(args: argparse.Namespace) -> int:
    from tally_dev import openapi

    return int(openapi.main(write=args.write))


if __name__ == "__main__":
    sys.exit(main())
