"""`tally`: the developer's command line (the console script of the project).

    tally dev [--port 3000] [--no-schedules] [--accelerate N] [--verbose]
                                                  the local cloud with demo data, until Ctrl-C
    tally token --org ORG --role ROLE [--user U]  a bearer token for the local cloud
    tally invoke LOGICAL_ID EVENT_FILE            one function, one event (`make invoke`)
    tally openapi [--write | --check]             generate / check the committed OpenAPI document
    tally mine PATH_OR_URL --out DIR [--branch B] the code-analytics JSON files of a repository
"""

from __future__ import annotations

import argparse
import json
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
    invoke.add_argument("--no-demo", action="store_true", help="start from empty tables")
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

    def access_log(line: str) -> None:
        print(line, file=log or sys.stderr, flush=True)

    def work(cloud: LocalCloud) -> None:
        from tally_dev.demo import load_demo_data
        from tally_dev.demo_background import DemoContext, start_after_ready

        demo = load_demo_data(cloud)
        if args.demo_days > 0:
            _load_demo_history(cloud, demo, args.demo_days, progress)
        if args.schedules:
            cloud.start_schedules()
        cloud.warm_up()
        progress.done()
        _announce(cloud, demo, log)
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
        if log is not None:
            log.close()
    return 0


def _load_demo_history(cloud: LocalCloud, demo: DemoData, days: int, progress: Progress) -> None:
    """Import the demo month through the import API, then seal it in bulk before the schedules start."""
    from tally_dev.demo_seal import seal_demo
    from tally_dev.demo_traffic import load_demo_traffic

    progress.step(f"Importing {days} days of demo traffic through the import API ...")
    admins = {org: demo.token(org, "org_admin") for org in ("demo", "rival")}
    imported = load_demo_traffic(cloud.url, admins, days=days)
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
    from tally_dev.demo import load_demo_data
    from tally_dev.localcloud import LocalCloud
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
    print(f"tally invoke: {args.logical_id} runs in a local cloud of its own (fresh tables"
          f"{'' if args.no_demo else ' with the demo organisations, users and keys'}), not in a running `make dev`",
          file=sys.stderr)
    with LocalCloud(http=False) as cloud:
        if not args.no_demo:
            load_demo_data(cloud)
        invocation = cloud.invoke(args.logical_id, event)
    result = invocation.result()
    print(json.dumps(result, indent=2))
    if not invocation.ok:
        return 1
    status = result.get("statusCode") if isinstance(result, dict) else None
    if isinstance(status, int) and not 200 <= status < 300:
        print(f"tally invoke: {args.logical_id} answered {status}", file=sys.stderr)
        return 1
    return 0


def _mine(args: argparse.Namespace) -> int:
    from tally_dev.mine import mine

    return mine(args.source, args.out, branch=args.branch, name=args.name, cache_file=args.cache)


def _openapi(args: argparse.Namespace) -> int:
    from tally_dev import openapi

    return int(openapi.main(write=args.write))


if __name__ == "__main__":
    sys.exit(main())
