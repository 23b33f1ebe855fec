"""`reconciler core serve`: run a reference Core (SPEC §6) in the foreground.

I/O module (the terminal; the server itself lives in `reconciler.refcore`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.refcore.fleet import FleetSettings, serve_fleet
from reconciler.refcore.serve import ServeSettings, StartupError, serve


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "core",
        help="run a reference Core",
        description="The reference Core: a real engine speaking the Core protocol.",
    )
    verbs = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND", required=True)
    serve_parser = verbs.add_parser(
        "serve",
        help="serve the Core protocol on a port until stopped",
        description="Serve the Core protocol (the OpenAPI file docs/core-protocol.openapi.yaml "
        "in the project's repository) until SIGTERM.",
    )
    _add_flags(serve_parser)
    serve_parser.set_defaults(run=run)
    fleet_parser = verbs.add_parser(
        "serve-fleet",
        help="serve many reference Cores from one process, one port each",
        description="Serve COUNT reference Cores named PREFIX-0000… on the ports BASE-PORT… in "
        "one process, each with its own token, admin token, registry and state in "
        "DATA_DIR/<name>/; DATA_DIR/fleet.json lists them once they listen.",
    )
    fleet_parser.add_argument("--count", type=_positive, required=True, help="how many Cores")
    fleet_parser.add_argument(
        "--base-port", type=_positive, required=True, help="the first Core's port; then +1 each"
    )
    fleet_parser.add_argument(
        "--data-dir", type=Path, default=Path("fleet-data"), help="where the Cores keep their files"
    )
    fleet_parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    fleet_parser.add_argument(
        "--prefix", default="core", help="the Cores' name prefix (default core)"
    )
    fleet_parser.add_argument(
        "--in-memory", action="store_true", help="keep the registries in memory, never on disk"
    )
    fleet_parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="the least severe log lines written (default warning)",
    )
    fleet_parser.set_defaults(run=run_fleet)


def _add_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True, help="the Core's name, shown in health")
    parser.add_argument("--port", type=int, default=8999, help="port to listen on (default 8999)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--data-dir", type=Path, help="registry and relative file paths (default ./core-data/NAME)"
    )
    parser.add_argument(
        "--token-file", type=Path, help="bearer token file (default: generate DATA_DIR/token)"
    )
    parser.add_argument(
        "--admin-token-file", type=Path, help="enable the /admin/v1 fault routes with this token"
    )
    parser.add_argument("--tls-cert-file", type=Path, help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key-file", type=Path, help="the certificate's private key")
    parser.add_argument(
        "--lockout-threshold",
        type=_positive,
        default=5,
        metavar="N",
        help="failed authentications from one address before it is locked out (default 5)",
    )
    parser.add_argument(
        "--lockout-seconds",
        type=_positive,
        default=60,
        metavar="S",
        help="how long a locked-out address stays locked out (default 60)",
    )
    parser.add_argument(
        "--stream-capacity",
        type=_positive,
        default=1024,
        metavar="N",
        help="events a stream holds for its slowest reader before backpressure (default 1024)",
    )
    parser.add_argument(
        "--stream-timeout-ms",
        type=_positive,
        default=1000,
        metavar="MS",
        help="how long a publish into a full `timeout` stream waits before it drops (default 1000)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="the least severe log lines written (default info)",
    )


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def run(args: argparse.Namespace) -> int:
    settings = ServeSettings(
        name=args.name,
        port=args.port,
        host=args.host,
        data_dir=args.data_dir,
        token_file=args.token_file,
        admin_token_file=args.admin_token_file,
        tls_cert_file=args.tls_cert_file,
        tls_key_file=args.tls_key_file,
        lockout_threshold=args.lockout_threshold,
        lockout_seconds=args.lockout_seconds,
        stream_capacity=args.stream_capacity,
        stream_timeout_ms=args.stream_timeout_ms,
        log_level=args.log_level,
    )
    try:
        serve(settings)
    except StartupError as error:
        print(f"reconciler core serve: {error}", file=sys.stderr)
        return 2
    return 0


def run_fleet(args: argparse.Namespace) -> int:
    settings = FleetSettings(
        count=args.count,
        base_port=args.base_port,
        data_dir=args.data_dir,
        host=args.host,
        prefix=args.prefix,
        in_memory=args.in_memory,
        log_level=args.log_level,
    )
    try:
        serve_fleet(settings)
    except StartupError as error:
        print(f"reconciler core serve-fleet: {error}", file=sys.stderr)
        return 2
    return 0
