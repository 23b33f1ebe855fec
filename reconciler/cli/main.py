"""The `reconciler` command: parse the flags, run one command, map errors to exit codes.

Exit codes (SPEC §8): 0 success, 1 the command ran and found a problem (invalid declared state,
a refused or failed operation), 2 a usage or configuration error a person must fix first.
I/O module (the terminal).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reconciler import __version__
from reconciler.cli import (
    action,
    core,
    demo,
    deployall,
    diff,
    history,
    ledger,
    once,
    plan,
    rollback,
    run,
    status,
    validate,
    wait,
)
from reconciler.cli.workspace import Invalid
from reconciler.errors import ConfigurationError, ReconcilerError

COMMANDS = (
    validate,
    plan,
    status,
    diff,
    once,
    run,
    action,
    deployall,
    rollback,
    wait,
    history,
    demo,
    core,
    ledger,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="GitOps for stream-processing pipelines: assign, Deploy All, start.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
