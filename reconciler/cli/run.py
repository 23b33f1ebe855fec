"""`reconciler run --repo SOURCE …`: the daemon (SPEC §7), until SIGTERM or Ctrl-C.

`once` is its one-pass sibling. Exit 0 after a clean stop; 2 on a usage or configuration error
(a second daemon on the same state directory, a taken `--listen` address, a bad duration).
I/O module (the terminal, the process).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from reconciler.cli import environment, repository
from reconciler.shell import logs
from reconciler.shell.daemon import service


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "run",
        help="run the daemon: watch SOURCE, read back the Cores, keep the report current",
        description="Watch SOURCE (a Git URL or a local path, bare or not), fetch it on an "
        "interval and on POST /webhook, read back every Core on its own schedule, run Deploy All "
        "and Core Action requests, and keep the status report in the repository current. "
        "Every flag also reads RECONCILER_<FLAG> (such as RECONCILER_LISTEN).",
    )
    repository.add_source(parser)
    parser.add_argument("--state-dir", help="ledger and clone (default: per SOURCE)")
    parser.add_argument(
        "--ledger",
        metavar="postgresql://USER@HOST/DB",
        help="a PostgreSQL ledger shared by replicas (or RECONCILER_LEDGER_URL), without a "
        "password (PGPASSWORD, PGPASSFILE, ~/.pgpass); default: SQLite in the state directory",
    )
    parser.add_argument(
        "--lease-ttl",
        help="with --ledger: how long the active replica's lease lasts unrenewed; a standby "
        "takes over after it (default 15s)",
    )
    parser.add_argument(
        "--shards",
        metavar="N",
        help="with --ledger: split the Cores into N shards, a lease each, so that up to N "
        "replicas are active at once (every replica of a SOURCE the same N; default 1)",
    )
    parser.add_argument("--branch", help="tracked branch (default: the source's default)")
    parser.add_argument("--interval", help="fetch every so often without a push (default 60s)")
    parser.add_argument("--readback-interval", help="read back every Core this often (default 15s)")
    parser.add_argument(
        "--listen", metavar="HOST:PORT", help="HTTP endpoints (default 127.0.0.1:9400)"
    )
    parser.add_argument("--log-format", choices=list(logs.FORMATS), help="text (default) or json")
    parser.add_argument(
        "--webhook-secret-file",
        metavar="FILE",
        help="shared secret of POST /webhook (or RECONCILER_WEBHOOK_SECRET); without one the "
        "webhook is off",
    )
    parser.add_argument(
        "--http-auth-file",
        metavar="FILE",
        help="credentials the pages and endpoints ask for, one a line: 'bearer TOKEN' or "
        "'basic USER:PASSWORD' (or RECONCILER_HTTP_AUTH_FILE); without one they ask for none",
    )
    add_forge(parser)
    parser.set_defaults(run=run)


def add_forge(parser: argparse.ArgumentParser) -> None:
    """The Git host flags: set by the operator only, never by anything in the repository."""
    group = parser.add_argument_group(
        "Git host", "post commit statuses and one plan comment per pull request"
    )
    group.add_argument("--forge", choices=["github", "gitlab", "gitea"], help="the Git host")
    group.add_argument(
        "--forge-url", metavar="URL", help="its API base, for a self-hosted instance"
    )
    group.add_argument("--forge-repo", metavar="OWNER/NAME", help="the repository on the host")
    group.add_argument(
        "--forge-token-env", metavar="VAR", help="the variable holding the host's API token"
    )
    group.add_argument(
        "--forge-token-file", metavar="FILE", help="a file holding the host's API token"
    )
    group.add_argument(
        "--public-url",
        metavar="URL",
        help="where people reach this daemon's pages: statuses link to a run's page there",
    )


def run(args: argparse.Namespace) -> int:
    config = environment.build(args)
    logs.configure(config.log_format)
    return asyncio.run(service.serve(config))
