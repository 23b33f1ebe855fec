"""The terminal side of the commands that read a checkout: problems printed, a snapshot taken.

The work itself is `reconciler.shell.workspace`. I/O module (the terminal).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reconciler.cli import environment, loop, repository
from reconciler.cli.progress import Readback
from reconciler.cli.repository import Invalid
from reconciler.decide.model import DeclaredState
from reconciler.errors import DeclarationError
from reconciler.shell import workspace
from reconciler.shell.config import Config
from reconciler.shell.ledger.opening import Place


def declared(repo: Path, config: Config) -> DeclaredState:
    """The declared state of a working folder; prints every problem and raises `Invalid`."""
    try:
        return workspace.declared(repo, config.tokens)
    except DeclarationError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(
            f"{repo}: invalid: {len(error.problems)} problem(s); nothing was done", file=sys.stderr
        )
        raise Invalid from error


def add_ledger(parser: argparse.ArgumentParser, what: str) -> None:
    """`--state-dir DIR` and `--ledger URL`: read (or, for `action`, also write) the daemon's
    ledger, SQLite or PostgreSQL, for `what`."""
    parser.add_argument("--state-dir", help=f"use the daemon's SQLite ledger in DIR {what}")
    parser.add_argument(
        "--ledger",
        metavar="postgresql://USER@HOST/DB",
        help=f"use the daemon's PostgreSQL ledger {what} (no password in the URL)",
    )


def ledger_of(args: argparse.Namespace, config: Config) -> Place | None:
    """The daemon's ledger, when `--ledger` or `--state-dir` names it on the command line (an
    operator's RECONCILER_LEDGER_URL does not change what these commands read)."""
    if args.ledger:
        return Place(config.ledger_url, None)
    if args.state_dir:
        return Place(None, config.state_dir)
    return None


def snapshot(args: argparse.Namespace) -> tuple[workspace.Snapshot, Config]:
    """Read `--repo` and every Core it declares (see `reconciler.shell.workspace.snapshot`)."""
    repo = repository.folder(args)
    config = environment.build(args)
    state = declared(repo, config)
    progress = Readback(state.cores)
    try:
        found = workspace.snapshot(repo, state, config, ledger_of(args, config), progress.done)
        taken = loop.run(found)
    finally:
        progress.close()
    print(f"deployed: from {taken.deployed_from}", file=sys.stderr)
    return taken, config
