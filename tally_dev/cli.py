"""`tally`: the developer's command line (the console script of the project).

    tally dev [--port 3000] [--no-schedules] [--accelerate N]
                                                  the local cloud with demo data, until Ctrl-C
    tally token --org ORG --role ROLE [--user U]  a bearer token for the local cloud
    tally invoke LOGICAL_ID EVENT_FILE            one function, one event (`make invoke`)
    tally openapi [--write | --check]             generate / check the committed OpenAPI document
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from tally.platform.caller import Role
from tally_dev.localcloud.cloud import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from tally_dev.demo import DemoData
    from tally_dev.localcloud import LocalCloud

ROLES = tuple(role.value for role in Role)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tally", description="Tally's developer tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run the local cloud with demo data until Ctrl-C")
    dev.add_argument("--port", type=int, default=DEFAULT_PORT)
    dev.add_argument("--host", default=DEFAULT_HOST)
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

    args = parser.parse_args(argv)
    return int(args.run(args))


def _dev(args: argparse.Namespace) -> int:
    from tally_dev.demo import load_demo_data
    from tally_dev.localcloud import LocalCloud, PortInUse

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    cloud = LocalCloud(port=args.port, host=args.host, warm=True, schedules=args.schedules,
                       accelerate=args.accelerate, access_log=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"Starting Tally's local cloud on {args.host}:{args.port} ...", file=sys.stderr, flush=True)
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            cloud.start()
        except PortInUse as error:
            print(error, file=sys.stderr)
            return 1
        try:
            if not stop.is_set():
                demo = load_demo_data(cloud)
                if args.demo_days > 0:
                    _load_demo_traffic(cloud, demo, args, stop)
                _announce(cloud, demo)
                stop.wait()
        finally:
            print("Stopping the local cloud ...", file=sys.stderr, flush=True)
            cloud.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _load_demo_traffic(cloud: LocalCloud, demo: DemoData, args: argparse.Namespace, stop: threading.Event) -> None:
    from tally_dev.demo_traffic import load_demo_traffic, wait_until_sealed

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    say(f"Importing {args.demo_days} days of demo traffic through the import API ...")
    admins = {org: demo.token(org, "org_admin") for org in ("demo", "rival")}
    imported = load_demo_traffic(cloud.url, admins, days=args.demo_days)
    say("Imported: " + ", ".join(f"{d} {n} events" for d, n in imported.items()))
    if args.schedules and not wait_until_sealed(cloud, stop=stop, progress=say):
        say("The sealer has not caught up yet: the dashboard reads raw events meanwhile (slowly).")


def _announce(cloud: LocalCloud, demo: DemoData) -> None:
    viewer = demo.token("demo", "viewer")
    print("\n".join([
        "",
        f"Tally's local cloud is running: {cloud.url}",
        f"  Dashboard: {dashboard_url(cloud.url, viewer)}",
        "             (the demo site's last 30 days, signed in as the demo org's viewer)",
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
    with LocalCloud(http=False) as cloud:
        if not args.no_demo:
            load_demo_data(cloud)
        invocation = cloud.invoke(args.logical_id, event)
    print(json.dumps(invocation.result(), indent=2))
    return 0 if invocation.ok else 1


def _openapi(args: argparse.Namespace) -> int:
    from tally_dev import openapi

    return int(openapi.main(write=args.write))


if __name__ == "__main__":
    sys.exit(main())
