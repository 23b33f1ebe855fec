"""`reconciler once --repo SOURCE [--state-dir DIR]`: one full pass of the daemon, then exit.

Exit 0 when the pass completed (whatever it found), 1 when the source could not be fetched or
refuses the report push (see `PushRejections`), or when, on a PostgreSQL ledger, another replica
holds the lease (this pass then only read: it deployed, acted and reported nothing), 2 on a
usage or configuration error. I/O module.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli import environment, loop, repository
from reconciler.cli.status import table
from reconciler.errors import SourceUnavailable
from reconciler.shell import logs
from reconciler.shell.config import Config
from reconciler.shell.reconcile import PassResult
from reconciler.shell.repo.reportwriter import PushRejections
from reconciler.shell.session import session


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "once",
        help="run one full pass: fetch, read back, run requests, write the report",
        description="Run one pass of the daemon against SOURCE and exit.",
    )
    repository.add_source(parser)
    parser.add_argument("--state-dir", help="ledger and clone (default: per SOURCE)")
    parser.add_argument(
        "--ledger",
        metavar="postgresql://USER@HOST/DB",
        help="a PostgreSQL ledger shared by replicas (or RECONCILER_LEDGER_URL), without a "
        "password (PGPASSWORD, PGPASSFILE, ~/.pgpass); default: SQLite in the state directory",
    )
    parser.add_argument("--branch", help="tracked branch (default: the source's default)")
    parser.add_argument("--log-format", choices=list(logs.FORMATS), help="text (default) or json")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = environment.build(args)
    logs.configure(config.log_format)
    try:
        result, active = loop.run(once(config))
    except SourceUnavailable as error:
        print(f"reconciler: {error}", file=sys.stderr)
        return 1
    if active is not None:
        print(
            f"reconciler: {active} holds the lease of the ledger: this pass stood by and "
            "deployed, acted and reported nothing",
            file=sys.stderr,
        )
        return 1
    print(table(result.rows), end="")
    pushed = "pushed" if result.pushed else "not pushed"
    print(
        f"report: {result.report_commit[:12]} ({pushed})"
        if result.report_commit
        else "report: unchanged"
    )
    return 0


async def once(config: Config) -> tuple[PassResult, str | None]:
    """One pass, and who else holds the lease when this one stood by (else None); a rejected
    report push is answered as the daemon does (`PushRejections`)."""
    rejections = PushRejections()
    async with session(config) as reconciler:
        while True:
            result = await reconciler.run_pass()
            replica = reconciler.replica
            if replica is not None and not replica.held():
                return result, replica.active_holder or "another replica"
            why = reconciler.source.rejection
            if not rejections.again(result.report_commit, result.pushed, why):
                return result, None
