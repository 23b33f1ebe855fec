"""The `reconciler` command: parse the flags, run one command, map errors to exit codes.

Exit codes (SPEC §8): 0 success, 1 the command ran and found a problem (invalid declared state,
a refused or failed operation), 2 a usage or configuration error a person must fix first.

Only the command named on the line is imported: `reconciler validate` loads the parser and the
schemas, not the Core client, Git, PostgreSQL and the web server the daemon needs, which took
more time than validating a few hundred pipelines. A line without a known command (`--help`, a
typo) loads them all, so that help and the "invalid choice" message list every command.
I/O module (the terminal).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from reconciler import __version__
from reconciler.cli.repository import Invalid
from reconciler.errors import ConfigurationError, ReconcilerError

COMMANDS = (
    "validate",
    "plan",
    "status",
    "diff",
    "once",
    "run",
    "action",
    "deploy-all",
    "rollback",
    "wait",
    "history",
    "demo",
    "core",
    "ledger",
)
"""The commands in the order help lists them; each is the module `reconciler.cli.<name>`."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of the command named in `argv`, or of every command when none is."""
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="GitOps for stream-processing pipelines: assign, Deploy All, start.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    named = next((word for word in argv or () if not word.startswith("-")), None)
    for name in [named] if named in COMMANDS else COMMANDS:
        importlib.import_module(f"reconciler.cli.{name.replace('-', '')}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        code: int = args.run(args)
    except ConfigurationError as error:
        print(f"reconciler: {error}", file=sys.stderr)
        return 2
    except Invalid:
        return 1
    except ReconcilerError as error:
        print(f"reconciler: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code
